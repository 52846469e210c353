import { describe, expect, it } from 'vitest'
import { auditJson, toAuditEvent, type AuditRecord } from '../../../src/kms/observability/audit-record.js'

const base: AuditRecord = {
  time: new Date('2026-11-27T16:28:30.123Z'),
  method: 'PUT',
  path: '/v1/key/generate/bench-key',
  identity: 'ab'.repeat(32),
  ip: '127.0.0.1',
  status: 200,
  responseMs: 0.41234,
  decision: 'allow',
  policy: 'bench',
}

describe('auditJson', () => {
  it('is JSON.stringify(toAuditEvent(record)) byte for byte', () => {
    const odd = ['', 'ü/✓', 'a"b\\c\n\t\u0001\u2028', '</script>&', '\ud800 lone surrogate']
    const records: AuditRecord[] = [
      base,
      { ...base, policy: undefined, message: undefined },
      { ...base, policy: '', message: '' },
      { ...base, decision: 'none', identity: '', status: 404, responseMs: 12, message: "key 'k' created" },
      { ...base, responseMs: 0 },
      { ...base, responseMs: 1e-7 },
      { ...base, responseMs: 123456.7891234 },
      ...odd.map((x) => ({ ...base, path: `/v1/key/create/${x}`, ip: x, method: x, policy: x, message: x })),
    ]
    for (const r of records) expect(auditJson(r)).toBe(JSON.stringify(toAuditEvent(r)))
  })

  it('formats every millisecond and second change as toISOString does', () => {
    const start = Date.parse('2026-12-31T23:59:58.990Z')
    for (let ms = start; ms < start + 2100; ms += 7) {
      const r = { ...base, time: new Date(ms) }
      expect(auditJson(r)).toBe(JSON.stringify(toAuditEvent(r)))
    }
    // Going back in time (a clock step) and far-off years (the longer ISO form) too.
    for (const t of ['2026-11-27T16:28:30.001Z', '1970-01-01T00:00:00.000Z', '+010000-01-01T00:00:00.000Z', '2026-11-27T16:28:30.999Z']) {
      const r = { ...base, time: new Date(t) }
      expect(auditJson(r)).toBe(JSON.stringify(toAuditEvent(r)))
    }
  })

  it('throws for an invalid time, as toAuditEvent', () => {
    expect(() => auditJson({ ...base, time: new Date(Number.NaN) })).toThrow(RangeError)
  })
})

describe('audit event response times', () => {
  it('writes response.time in whole milliseconds, truncated as KES, and time_us beside it', () => {
    const cases: [number, number, number][] = [
      [4.077, 4, 4077],
      [0.41234, 0, 412],
      [0.9996, 0, 999],
      [12, 12, 12000],
      [0, 0, 0],
      [1e-7, 0, 0],
      [123456.7891234, 123456, 123456789],
    ]
    for (const [responseMs, time, timeUs] of cases) {
      const json = auditJson({ ...base, responseMs })
      expect(json).toContain(`"response":{"code":200,"time":${time},"time_us":${timeUs}}`)
      const event = JSON.parse(json) as { response: { time: number; time_us: number } }
      expect(Number.isInteger(event.response.time)).toBe(true)
      expect(Number.isInteger(event.response.time_us)).toBe(true)
    }
  })
})
