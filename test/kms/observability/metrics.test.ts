import { describe, expect, it } from 'vitest'
import { dropEmptyFamilies, KmsMetrics } from '../../../src/kms/observability/metrics.js'

describe('metrics', () => {
  it('uses KES names, buckets and status classes, without empty families', async () => {
    const m = new KmsMetrics({ cpusUsed: 1 })
    let text = await m.render()
    // No request yet: the labelled request counters have no sample and must not appear at all.
    expect(text).not.toContain('kes_http_request_success')
    expect(text).toContain('kes_http_request_active 0')
    expect(text).toMatch(/^kes_system_up_time \d/m)
    expect(text).toMatch(/^kes_system_num_threads \d+/m)
    const end = m.requestStarted()
    expect(await m.render()).toContain('kes_http_request_active 1')
    end()
    end()
    m.observeResponse(200, 0.002)
    m.observeResponse(404, 0.02)
    m.observeResponse(502, 2)
    m.auditEvent()
    m.cacheHit()
    m.cacheMiss()
    m.cacheMiss()
    m.observeKeystore(0.0007)
    text = await m.render()
    expect(text).toContain('kes_http_request_active 0')
    expect(text).toContain('kes_http_request_success{code="200"} 1')
    expect(text).toContain('kes_http_request_error{code="404"} 1')
    expect(text).toContain('kes_http_request_failure{code="502"} 1')
    expect(text).toContain('kes_http_response_time_bucket{le="0.01"} 1')
    expect(text).toContain('kes_http_response_time_bucket{le="1.5"} 2')
    expect(text).toContain('kes_http_response_time_bucket{le="3"} 3')
    expect(text).toContain('kes_log_audit_events 1')
    expect(text).toContain('kes_log_error_events 0')
    expect(text).toContain('keyhold_key_cache_hits 1')
    expect(text).toContain('keyhold_key_cache_misses 2')
    expect(text).toContain('keyhold_keystore_latency_seconds_count 1')
  })

  it('keeps two servers apart', async () => {
    const a = new KmsMetrics()
    const b = new KmsMetrics()
    a.observeResponse(200, 0.001)
    expect(await b.render()).not.toContain('kes_http_request_success')
  })

  it('drops header-only families', () => {
    const text = '# HELP a x\n# TYPE a counter\n# HELP b y\n# TYPE b counter\nb 1\n'
    expect(dropEmptyFamilies(text)).toBe('# HELP b y\n# TYPE b counter\nb 1\n')
  })
})
