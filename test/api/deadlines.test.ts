/**
 * Route deadlines: the sweeper fires each deadline once, not before its time and at most a tick
 * late, never after it was cleared; and through a real server, a request whose keystore call stalls
 * is cut at the route's `api.<path>.timeout` while requests within their deadline are answered.
 */
import { describe, expect, it } from 'vitest'
import { MemoryKeyStore } from '../../backends/memory.js'
import { DeadlineSweeper, routeDeadlines } from '../../src/api/deadlines.js'
import { startTestServer } from '../helpers/server.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('DeadlineSweeper', () => {
  it('fires each deadline once, after its time, within a tick; cleared ones never', async () => {
    const sweeper = new DeadlineSweeper(10)
    const fired: Array<[string, number]> = []
    const start = performance.now()
    const at = (name: string) => () => fired.push([name, performance.now() - start])
    sweeper.add(30, at('a'))
    const b = sweeper.add(30, at('b'))
    sweeper.add(80, at('c'))
    sweeper.clear(b)
    sweeper.clear(b) // idempotent
    await sleep(50)
    expect(fired.map(([n]) => n)).toEqual(['a'])
    await sleep(100)
    expect(fired.map(([n]) => n)).toEqual(['a', 'c'])
    expect(fired[0]![1]).toBeGreaterThanOrEqual(30)
    expect(fired[1]![1]).toBeGreaterThanOrEqual(80)
    expect(sweeper.size).toBe(0)
  })

  it('a throwing handler does not stop the other deadlines', async () => {
    const sweeper = new DeadlineSweeper(10)
    let ran = false
    sweeper.add(10, () => {
      throw new Error('boom')
    })
    sweeper.add(10, () => (ran = true))
    await sleep(60)
    expect(ran).toBe(true)
  })

  it('starts again after it went idle', async () => {
    const sweeper = new DeadlineSweeper(10)
    let n = 0
    sweeper.add(5, () => n++)
    await sleep(40)
    sweeper.add(5, () => n++)
    await sleep(40)
    expect(n).toBe(2)
  })
})

/** A keystore whose `create` never finishes on its own: it ends only when its signal is aborted. */
class StallingKeyStore extends MemoryKeyStore {
  override create(_name: string, _value: Uint8Array, signal: AbortSignal): Promise<void> {
    return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }))
  }
}

describe('route deadline through a server', () => {
  it('cuts a request that outlives api.<path>.timeout, answers the rest, and leaves no deadline behind', async () => {
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
    expect(routeDeadlines.size).toBe(0)
  })
})
