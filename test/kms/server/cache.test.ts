/**
 * KeyCache: single-flight misses, the any/unused/offline expiries (on fake time), the status
 * probe's offline flag, and deletes that race with fetches.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { MemoryKeyStore } from '../../../backends/memory.js'
import { encodeKeyVersion, generateKeyVersion } from '../../../src/kms/crypto/key.js'
import { KeyCache } from '../../../src/kms/keystore/cache.js'
import { KeyNotFoundError, UnreachableError } from '../../../src/kms/keystore/keystore.js'

class CountingStore extends MemoryKeyStore {
  gets = 0
  down = false
  delay = 0
  override async get(name: string, signal: AbortSignal): Promise<Uint8Array> {
    this.gets++
    if (this.delay > 0) await new Promise((r) => setTimeout(r, this.delay))
    if (this.down) throw new UnreachableError('test: down')
    return super.get(name, signal)
  }
  override async status(signal: AbortSignal) {
    if (this.down) throw new UnreachableError('test: down')
    return super.status(signal)
  }
}

const signal = () => new AbortController().signal
let store: CountingStore
let cache: KeyCache | undefined

async function setup(anyMs: number, unusedMs: number, offlineMs: number, probeMs = 0) {
  store = new CountingStore()
  await store.create('k', encodeKeyVersion(generateKeyVersion('me')), signal())
  cache = new KeyCache(store, { anyMs, unusedMs, offlineMs, probeMs })
  return cache
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] })
})
afterEach(async () => {
  vi.useRealTimers()
  await cache?.close()
  cache = undefined
})

describe('KeyCache', () => {
  it('fetches concurrent misses once', async () => {
    const c = await setup(60_000, 60_000, 0)
    store.delay = 20
    const keys = await Promise.all(Array.from({ length: 10 }, () => c.get('k')))
    expect(store.gets).toBe(1)
    expect(new Set(keys).size).toBe(1)
    expect(keys[0]!.createdBy).toBe('me')
  })

  it('re-fetches after `any`, and after `unused` without use', async () => {
    const c = await setup(10_000, 3_000, 0)
    await c.get('k')
    vi.advanceTimersByTime(2_000)
    await c.get('k') // used: unused window restarts
    vi.advanceTimersByTime(2_000)
    await c.get('k')
    expect(store.gets).toBe(1)
    vi.advanceTimersByTime(3_500) // unused for 3.5 s
    await c.get('k')
    expect(store.gets).toBe(2)
    for (let i = 0; i < 5; i++) {
      vi.advanceTimersByTime(2_000)
      await c.get('k')
    }
    expect(store.gets).toBe(3) // 10 s after loading, `any` forced one more fetch
  })

  it('serves stale keys while the store is unreachable, only with offline > 0', async () => {
    const c = await setup(1_000, 1_000, 60_000)
    const key = await c.get('k')
    store.down = true
    vi.advanceTimersByTime(5_000)
    expect(await c.get('k')).toBe(key)
    expect(c.offline).toBe(true)
    vi.advanceTimersByTime(61_000) // unused for longer than `offline`: gone
    await expect(c.get('k')).rejects.toThrow(UnreachableError)

    const strict = await setup(1_000, 1_000, 0)
    await strict.get('k')
    store.down = true
    vi.advanceTimersByTime(2_000)
    await expect(strict.get('k')).rejects.toThrow(UnreachableError)
  })

  it('flips offline from the status probe', async () => {
    const changes: boolean[] = []
    store = new CountingStore()
    cache = new KeyCache(store, { anyMs: 1000, unusedMs: 1000, offlineMs: 0, probeMs: 100, onOfflineChange: (o) => changes.push(o) })
    store.down = true
    await vi.advanceTimersByTimeAsync(150)
    expect(cache.offline).toBe(true)
    store.down = false
    await vi.advanceTimersByTimeAsync(100)
    expect(changes).toEqual([true, false])
  })

  it('evicts on delete, even when a fetch is in flight', async () => {
    const c = await setup(60_000, 60_000, 0)
    store.delay = 20
    const inflight = c.get('k')
    await c.delete('k', signal())
    await inflight.catch(() => {})
    await expect(c.get('k')).rejects.toThrow(KeyNotFoundError)
  })
})
