/**
 * System routes and generic routing: /version, /v1/ready, /v1/status, /v1/api (the pinned route
 * table), the placeholder routes, unknown paths and redirects, keystore outages.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { MemoryKeyStore } from '../../../backends/memory.js'
import { UnreachableError, type KeyStoreState } from '../../../src/kms/keystore/keystore.js'
import { startTestServer, type TestServer } from '../../helpers/server.js'

let s: TestServer
const admin = () => s.pki.clients.admin

/** A memory store whose status can be made to fail. */
class FlakyStore extends MemoryKeyStore {
  failure: Error | undefined
  override async status(signal: AbortSignal): Promise<KeyStoreState> {
    if (this.failure) throw this.failure
    return super.status(signal)
  }
  override async get(name: string, signal: AbortSignal): Promise<Uint8Array> {
    if (this.failure) throw this.failure
    return super.get(name, signal)
  }
}

beforeAll(async () => {
  s = await startTestServer()
})

describe('/version', () => {
  it('answers without any policy', async () => {
    const r = await s.call(s.pki.clients.stranger, 'GET', '/version')
    expect(r.status).toBe(200)
    expect(Object.keys(r.json as object)).toEqual(['version', 'commit'])
  })
  it('405s other methods', async () => {
    const r = await s.call(admin(), 'POST', '/version')
    expect([r.status, r.headers.accept]).toEqual([405, 'GET'])
  })
})

describe('/v1/api', () => {
  it('pins the route table (method, path, max_body, timeout)', async () => {
    const r = await s.call(admin(), 'GET', '/v1/api')
    const rows = (r.json as Array<{ method: string; path: string; max_body: number; timeout: number }>).map((x) => `${x.method} ${x.path} ${x.max_body} ${x.timeout}`)
    expect(rows).toEqual([
      'GET /version 0 10', 'GET /v1/ready 0 15', 'GET /v1/status 0 15', 'GET /v1/metrics 0 15', 'GET /v1/api 0 10',
      'PUT /v1/key/create/ 0 15', 'PUT /v1/key/import/ 1000000 15', 'GET /v1/key/describe/ 0 15', 'GET /v1/key/list/ 0 15',
      'DELETE /v1/key/delete/ 0 15', 'PUT /v1/key/encrypt/ 1000000 15', 'PUT /v1/key/generate/ 1000000 15',
      'PUT /v1/key/decrypt/ 1000000 15', 'PUT /v1/key/bulk/decrypt/ 1000000 15', 'PUT /v1/key/hmac/ 1000000 15',
      'PUT /v1/key/rotate/ 0 30',
      'GET /v1/key/state/ 0 15', 'PUT /v1/key/disable/ 4096 15', 'PUT /v1/key/enable/ 0 15', 'PUT /v1/key/restore/ 0 15',
      'GET /v1/policy/describe/ 0 15', 'GET /v1/policy/read/ 0 15', 'GET /v1/policy/list/ 0 15', 'PUT /v1/policy/explain/ 4096 15',
      'GET /v1/identity/describe/ 0 15', 'GET /v1/identity/list/ 0 15', 'GET /v1/identity/self/describe 0 15',
      'GET /v1/log/error 0 0', 'GET /v1/log/audit 0 0',
    ])
  })

  it('reports configured timeouts', async () => {
    const t = await startTestServer({ api: { '/v1/key/create/': { timeoutMs: 22_000 }, '/not/a/route': { timeoutMs: 1000 } } })
    const rows = (await t.call(admin(), 'GET', '/v1/api')).json as Array<{ path: string; timeout: number }>
    expect(rows.find((x) => x.path === '/v1/key/create/')?.timeout).toBe(22)
    expect(rows).toHaveLength(29) // unknown paths in `api:` are ignored
  })
})

describe('/v1/ready and /v1/status', () => {
  it('reports a healthy store', async () => {
    const ready = await s.call(admin(), 'GET', '/v1/ready')
    expect([ready.status, ready.text]).toEqual([200, ''])
    const st = await s.call(admin(), 'GET', '/v1/status')
    expect(st.status).toBe(200)
    const body = st.json as Record<string, unknown>
    expect(Object.keys(body)).toEqual(['version', 'os', 'arch', 'uptime', 'num_cpu', 'num_cpu_used', 'mem_heap_used', 'mem_stack_used', 'keystore_latency'])
    expect(body.keystore_latency).toBeGreaterThanOrEqual(1)
    expect(body).not.toHaveProperty('keystore_unreachable')
  })

  it('reports an unreachable store with 504 and keystore_unreachable, other failures with 502', async () => {
    const store = new FlakyStore()
    const t = await startTestServer({ keystore: { kind: 'instance', store } })
    store.failure = new UnreachableError('test: down')
    const ready = await t.call(admin(), 'GET', '/v1/ready')
    expect([ready.status, ready.json]).toEqual([504, { message: 'key store is not reachable' }])
    const st = (await t.call(admin(), 'GET', '/v1/status')).json as Record<string, unknown>
    expect(st.keystore_unreachable).toBe(true)
    expect(st).not.toHaveProperty('keystore_latency')
    expect(st).not.toHaveProperty('keystore_unavailable')
    const get = await t.call(admin(), 'GET', '/v1/key/describe/x')
    expect([get.status, get.json]).toEqual([502, { message: 'failed to read key' }])
    store.failure = new Error('secret internal detail')
    const other = await t.call(admin(), 'GET', '/v1/ready')
    expect([other.status, other.json]).toEqual([502, { message: 'key store is unavailable' }])
    expect(other.text).not.toContain('secret internal detail')
  })

  it('keeps serving cached keys while the store is unreachable when offline > 0', async () => {
    const store = new FlakyStore()
    const t = await startTestServer({ keystore: { kind: 'instance', store }, cache: { anyMs: 1, unusedMs: 1, offlineMs: 60_000 } })
    await t.call(admin(), 'POST', '/v1/key/create/cached')
    const dek = (await t.call(admin(), 'POST', '/v1/key/generate/cached', {})).json as { ciphertext: string; plaintext: string }
    store.failure = new UnreachableError('test: down')
    await new Promise((r) => setTimeout(r, 5)) // past any/unused: only the offline rule keeps it
    const d = await t.call(admin(), 'POST', '/v1/key/decrypt/cached', { ciphertext: dek.ciphertext })
    expect([d.status, d.json]).toEqual([200, { plaintext: dek.plaintext }])
    const other = await t.call(admin(), 'GET', '/v1/key/describe/never-cached')
    expect(other.status).toBe(502)
  })
})

describe('start-up', () => {
  it('fails cleanly when the address is taken', async () => {
    await expect(startTestServer({ address: `127.0.0.1:${s.address.port}` })).rejects.toThrow(/EADDRINUSE/)
  })
})

describe('route timeouts', () => {
  it('cuts the connection when a response is not written within the route timeout', async () => {
    const store = new FlakyStore()
    const t = await startTestServer({ keystore: { kind: 'instance', store }, api: { '/v1/key/describe/': { timeoutMs: 150 } } })
    await t.call(admin(), 'POST', '/v1/key/create/slow')
    const get = store.get.bind(store)
    store.get = async (name, signal) => {
      await new Promise((r) => setTimeout(r, 1000))
      return get(name, signal)
    }
    const started = Date.now()
    await expect(t.call(admin(), 'GET', '/v1/key/describe/never-cached-slow')).rejects.toThrow(/socket hang up|ECONNRESET/)
    expect(Date.now() - started).toBeLessThan(900)
  })
})

describe('placeholders and routing', () => {
  it.each(['/v1/metrics', '/v1/log/error', '/v1/log/audit'])('%s answers 501 until the operations layer plugs in', async (path) => {
    const r = await s.call(admin(), 'GET', path)
    expect([r.status, r.json]).toEqual([501, { message: 'not implemented' }])
  })

  it.each(['/', '/v1', '/v1/key/frobnicate/x', '/v1/enclave/create/x', '/v2/status'])('answers Go’s plain 404 for %s', async (path) => {
    const r = await s.call(admin(), 'GET', path)
    expect([r.status, r.headers['content-type'], r.text]).toEqual([404, 'text/plain; charset=utf-8', '404 page not found\n'])
  })

  it('redirects non-canonical paths and keeps the query', async () => {
    const r = await s.call(admin(), 'GET', '//v1//status?x=1')
    expect([r.status, r.headers.location]).toEqual([301, '/v1/status?x=1'])
  })

  it('ignores query strings (old clients send ?enclave=)', async () => {
    expect((await s.call(admin(), 'GET', '/v1/status?enclave=default')).status).toBe(200)
  })

  it('keeps a connection alive across requests', async () => {
    const { request, Agent } = await import('node:https')
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: s.pki.ca.certPem, cert: admin().certPem, key: admin().keyPem })
    const u = new URL(s.url)
    const get = () => new Promise<number>((resolve, reject) => {
      request({ host: u.hostname, port: u.port, path: '/v1/status', agent }, (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      }).on('error', reject).end()
    })
    expect([await get(), await get(), await get()]).toEqual([200, 200, 200])
    agent.destroy()
  })
})
