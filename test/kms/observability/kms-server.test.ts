import { mkdtempSync, readFileSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyChain } from '../../../src/kms/observability/audit-chain.js'
import { createKmsObservability, type KmsObservability } from '../../../src/kms/observability/kms.js'
import type { TestCert } from '../../helpers/pki.js'
import { startTestServer, type TestServer } from '../../helpers/server.js'

const auditFile = join(mkdtempSync(join(tmpdir(), 'keyhold-obs-')), 'audit.log')
let server: TestServer
let obs: KmsObservability
const errorLines: string[] = []

/** Follows a log stream as `as`, collecting its lines. */
function follow(path: string, as: TestCert): Promise<{ status: number; type: string; lines: string[]; close(): void }> {
  return new Promise((resolve, reject) => {
    const lines: string[] = []
    const req = request(server.url + path, { ca: server.pki.ca.certPem, cert: as.certPem, key: as.keyPem, agent: false }, (res) => {
      let buf = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => {
        buf += d
        for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
          lines.push(buf.slice(0, i))
          buf = buf.slice(i + 1)
        }
      })
      res.on('error', () => undefined)
      resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), lines, close: () => req.destroy() })
    })
    req.on('error', reject)
    req.end()
  })
}

async function until(fn: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!fn() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
}

beforeAll(async () => {
  const partial = {
    log: { error: 'debug', audit: 'info', auditFile } as const,
    policies: { app: { allow: ['/v1/key/generate/k1', '/v1/key/decrypt/k1', '/v1/log/audit'], identities: [] as string[] } },
  }
  const { testPki } = await import('../../helpers/pki.js')
  const pki = await testPki()
  partial.policies.app.identities.push(pki.clients.app.identity)
  obs = await createKmsObservability({ log: partial.log }, { errorSink: { write: (l: string) => errorLines.push(l) } })
  server = await startTestServer(partial, { ...obs.serverOptions(), probeMs: 0 })
})

afterAll(async () => {
  await server?.close()
  await obs?.close()
})

describe('observability of a running KMS server', () => {
  it('audits every request, denials, errors and unknown paths included, live and to the chained file', async () => {
    const { admin, app, stranger } = server.pki.clients
    const stream = await follow('/v1/log/audit', app)
    expect(stream.status).toBe(200)
    expect(stream.type).toBe('application/x-ndjson')
    expect((await server.call(admin, 'PUT', '/v1/key/create/k1')).status).toBe(200)
    expect((await server.call(app, 'PUT', '/v1/key/generate/k1', '{}')).status).toBe(200)
    expect((await server.call(app, 'PUT', '/v1/key/create/k2')).status).toBe(403)
    expect((await server.call(stranger, 'GET', '/v1/key/describe/k1')).status).toBe(403)
    expect((await server.call(admin, 'GET', '/v1/key/describe/nope')).status).toBe(404)
    expect((await server.call(admin, 'GET', '/no/such/path')).status).toBe(404)
    await until(() => stream.lines.length >= 6)
    stream.close()
    const events = stream.lines.map((l) => JSON.parse(l))
    expect(events).toHaveLength(6)
    expect(events[0]).toMatchObject({
      request: { method: 'PUT', path: '/v1/key/create/k1', identity: admin.identity, ip: '127.0.0.1' },
      response: { code: 200 },
      decision: 'admin',
    })
    expect(typeof events[0].response.time).toBe('number')
    expect(Date.parse(events[0].time)).toBeGreaterThan(Date.now() - 60_000)
    expect(events[1]).toMatchObject({ request: { identity: app.identity }, response: { code: 200 }, decision: 'allow', policy: 'app' })
    expect(events[2]).toMatchObject({ request: { path: '/v1/key/create/k2' }, response: { code: 403 }, decision: 'deny', policy: 'app' })
    expect(events[3]).toMatchObject({ request: { identity: stranger.identity }, response: { code: 403 }, decision: 'deny' })
    expect(events[4]).toMatchObject({ response: { code: 404 }, decision: 'admin' })
    expect(events[5]).toMatchObject({ request: { path: '/no/such/path' }, response: { code: 404 }, decision: 'none' })

    await until(() => readFileSync(auditFile, 'utf8').includes('/v1/log/audit'))
    const lines = readFileSync(auditFile, 'utf8').split('\n')
    expect(verifyChain(lines)).toMatchObject({ ok: true, count: 7 })
    expect(lines.at(-2)).toContain('"path":"/v1/log/audit"')
  })

  it('serves KES metrics from its own registry', async () => {
    const { admin, app } = server.pki.clients
    const res = await server.call(admin, 'GET', '/v1/metrics')
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(res.text).toContain('kes_http_request_success{code="200"} 2')
    expect(res.text).toContain('kes_http_request_error{code="403"} 2')
    expect(res.text).toContain('kes_http_request_error{code="404"} 1')
    expect(res.text).not.toContain('kes_http_request_failure')
    expect(res.text).toMatch(/^kes_http_response_time_count 5$/m)
    expect(res.text).toMatch(/^kes_log_audit_events \d+$/m)
    expect(res.text).toMatch(/^keyhold_key_cache_hits [1-9]\d*$/m)
    expect(res.text).toMatch(/^keyhold_keystore_latency_seconds_count [1-9]\d*$/m)
    expect((await server.call(app, 'GET', '/v1/metrics')).status).toBe(403)
  })

  it('streams the error log as {"message": line}', async () => {
    const { admin } = server.pki.clients
    const stream = await follow('/v1/log/error', admin)
    // A policy denial is logged at debug level.
    await server.call(server.pki.clients.stranger, 'GET', '/v1/key/list/*')
    await until(() => stream.lines.length >= 1)
    stream.close()
    const event = JSON.parse(stream.lines[0]!) as { message: string }
    expect(Object.keys(event)).toEqual(['message'])
    expect(event.message).toContain('access denied')
    expect(errorLines.some((l) => l.includes('access denied'))).toBe(true)
  })
})
