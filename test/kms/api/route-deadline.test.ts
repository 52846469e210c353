/**
 * Route deadlines through a real server: a request whose keystore call stalls is cut at the route's
 * `api.<path>.timeout` (KES's write deadline: the connection closes, no status line), and the server
 * goes on answering.
 */
import { describe, expect, it } from 'vitest'
import { MemoryKeyStore } from '../../../backends/memory.js'
import { encodeKeyVersion, generateKeyVersion } from '../../../src/kms/crypto/key.js'
import { startTestServer } from '../../helpers/server.js'

/** A keystore whose `create` never finishes on its own: it ends only when its signal is aborted. */
class StallingKeyStore extends MemoryKeyStore {
  override create(_name: string, _value: Uint8Array, signal: AbortSignal): Promise<void> {
    return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }))
  }
}

/**
 * A keystore whose reads of names holding `stall`, and listings of prefixes starting with `stallList`, never
 * finish on their own (key states are `_keyhold-key-state-` entries, a key's versions `<name>-v…`).
 */
class StallingReads extends MemoryKeyStore {
  stall = '\u0000'
  stallList = '\u0000'
  override list(prefix: string, limit: number, signal: AbortSignal): ReturnType<MemoryKeyStore['list']> {
    if (!prefix.startsWith(this.stallList)) return super.list(prefix, limit, signal)
    return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }))
  }
  override get(name: string, signal: AbortSignal): Promise<Uint8Array> {
    if (!name.includes(this.stall)) return super.get(name, signal)
    return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }))
  }
}

describe('route deadline through a server', () => {
  it('cuts a request that outlives api.<path>.timeout and answers the next one', async () => {
    const server = await startTestServer({
      keystore: { kind: 'instance', store: new StallingKeyStore() },
      api: { '/v1/key/create/': { timeoutMs: 500 } },
    })
    const admin = server.pki.clients.admin
    const start = Date.now()
    const stalled = await server.call(admin, 'PUT', '/v1/key/create/stuck').then(
      (r) => `answered ${r.status}`,
      (err: Error) => err.message,
    )
    const took = Date.now() - start
    // KES cuts the connection at its write deadline: no status line reaches the client.
    expect(stalled).toMatch(/socket hang up|ECONNRESET/)
    expect(took).toBeGreaterThanOrEqual(450)
    expect(took).toBeLessThan(5_000)
    expect((await server.call(admin, 'GET', '/v1/status')).status).toBe(200)
  })

  // What an operator sees of a hanging Vault or etcd: the route's 502, STORE_MARGIN_MS (3 s) before its deadline.
  it('answers 502 when a keystore call hangs and the route timeout leaves its 3 s margin', async () => {
    const store = new StallingKeyStore()
    const server = await startTestServer({ keystore: { kind: 'instance', store }, api: { '/v1/key/create/': { timeoutMs: 4_000 } } })
    try {
      const start = Date.now()
      const res = await server.call(server.pki.clients.admin, 'PUT', '/v1/key/create/stuck')
      expect([res.status, res.json]).toEqual([502, { message: 'failed to create key' }])
      expect(Date.now() - start).toBeLessThan(3_000)
    } finally {
      await server.close()
    }
  })

  it('gives every keystore call of a request the one deadline (a key state read that hangs)', async () => {
    const store = new StallingReads()
    const server = await startTestServer({ keystore: { kind: 'instance', store }, api: { '/v1/key/state/': { timeoutMs: 4_000 } } })
    const admin = server.pki.clients.admin
    try {
      expect((await server.call(admin, 'PUT', '/v1/key/create/k')).status).toBe(200)
      store.stall = '_keyhold-key-state-'
      const start = Date.now()
      const res = await server.call(admin, 'GET', '/v1/key/state/k')
      expect(res.status).toBe(502)
      expect(Date.now() - start).toBeLessThan(3_000)
    } finally {
      await server.close()
    }
  })

  // A cache miss waits for a fetch shared with other requests, which has its own 12 s: each request waits
  // only until its own deadline.
  it.each([
    ['/v1/key/generate/', 'PUT', '/v1/key/generate/cold'],
    ['/v1/key/describe/', 'GET', '/v1/key/describe/cold'],
  ])('answers 502 when the shared key fetch of %s hangs, at the request\'s deadline', async (route, method, path) => {
    const store = new StallingReads()
    await store.create('cold', encodeKeyVersion(generateKeyVersion('test')), AbortSignal.timeout(1_000))
    store.stall = 'cold'
    const server = await startTestServer({ keystore: { kind: 'instance', store }, api: { [route]: { timeoutMs: 4_000 } } })
    try {
      const start = Date.now()
      const res = await server.call(server.pki.clients.admin, method, path, method === 'PUT' ? {} : undefined)
      expect(res.status).toBe(502)
      expect(Date.now() - start).toBeLessThan(3_000)
    } finally {
      await server.close()
    }
  })

  it('answers 502 when the versions a decrypt needs (an old version of a rotated key) cannot be read in time', async () => {
    const store = new StallingReads()
    const first = await startTestServer({ keystore: { kind: 'instance', store } })
    const admin = first.pki.clients.admin
    let ciphertext: string
    try {
      expect((await first.call(admin, 'PUT', '/v1/key/create/rotated')).status).toBe(200)
      ciphertext = ((await first.call(admin, 'PUT', '/v1/key/generate/rotated', {})).json as { ciphertext: string }).ciphertext
      expect((await first.call(admin, 'PUT', '/v1/key/rotate/rotated')).status).toBe(200)
    } finally {
      await first.close()
    }
    // A fresh server: the versions were never read, and reading them hangs.
    store.stallList = 'rotated-v'
    const server = await startTestServer({ keystore: { kind: 'instance', store }, api: { '/v1/key/decrypt/': { timeoutMs: 4_000 } } })
    try {
      const start = Date.now()
      const res = await server.call(server.pki.clients.admin, 'PUT', '/v1/key/decrypt/rotated', { ciphertext })
      expect([res.status, res.json]).toEqual([502, { message: 'failed to read key' }])
      expect(Date.now() - start).toBeLessThan(3_000)
    } finally {
      await server.close()
    }
  })
})
