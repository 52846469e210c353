/**
 * Route deadlines through a real server: a request whose keystore call stalls is cut at the route's
 * `api.<path>.timeout` (KES's write deadline: the connection closes, no status line), and the server
 * goes on answering.
 */
import { describe, expect, it } from 'vitest'
import { MemoryKeyStore } from '../../../backends/memory.js'
import { startTestServer } from '../../helpers/server.js'

/** A keystore whose `create` never finishes on its own: it ends only when its signal is aborted. */
class StallingKeyStore extends MemoryKeyStore {
  override create(_name: string, _value: Uint8Array, signal: AbortSignal): Promise<void> {
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
})
