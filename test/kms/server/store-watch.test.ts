/**
 * A keystore's change notifications (`KeyStore.watch`, which the KeyCache subscribes to) reach the cache,
 * which drops the named key, or everything on a reset, including a fetch of the old key that
 * was in flight when the change came.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { MemoryKeyStore } from '../../../backends/memory.js'
import { encodeKeyVersion, generateKeyVersion } from '../../../src/kms/crypto/key.js'
import { KeyCache } from '../../../src/kms/keystore/cache.js'
import { KeyNotFoundError, UnreachableError, type KeyChange } from '../../../src/kms/keystore/keystore.js'

/** A memory store that can notify, like etcd's, and whose reads can be held back. */
class NotifyingStore extends MemoryKeyStore {
  listeners = new Set<{ onChange: (name: string, change: KeyChange) => void; onReset?: () => void }>()
  /** Each read waits for the next of these, if any. */
  holds: Promise<void>[] = []
  /** Set: the store is down, every read fails as unreachable. */
  down = false
  watch(onChange: (name: string, change: KeyChange) => void, onReset?: () => void): () => void {
    const l = { onChange, ...(onReset ? { onReset } : {}) }
    this.listeners.add(l)
    return () => this.listeners.delete(l)
  }
  override async get(name: string, signal: AbortSignal): Promise<Uint8Array> {
    if (this.down) throw new UnreachableError('store down')
    this.reads++
    const hold = this.holds.shift()
    const value = await super.get(name, signal) // read now, answer later: a slow store
    await hold
    return value
  }
  notify(name: string, change: KeyChange): void {
    for (const l of this.listeners) l.onChange(name, change)
  }
  /** What etcd reports for a replacement: the deletion, then the creation. */
  replaced(name: string): void {
    this.notify(name, 'deleted')
    this.notify(name, 'created')
  }
  reads = 0
  reset(): void {
    for (const l of this.listeners) l.onReset?.()
  }
}

const signal = () => AbortSignal.timeout(5_000)
let cache: KeyCache | undefined
afterEach(async () => {
  await cache?.close()
  cache = undefined
})

async function setup(offlineMs = 0) {
  const store = new NotifyingStore()
  cache = new KeyCache(store, { anyMs: 60_000, unusedMs: 60_000, offlineMs, probeMs: 0 })
  return { store, cache }
}

/** Replaces `name` in the store behind the cache's back (another server did it). */
async function replace(store: NotifyingStore, name: string, by: string): Promise<void> {
  await store.delete(name, signal()).catch(() => {})
  await store.create(name, encodeKeyVersion(generateKeyVersion(by)), signal())
}

describe('KeyCache following a store that can notify', () => {
  it('drops a key another server replaced or deleted', async () => {
    const { store, cache } = await setup()
    await replace(store, 'k', 'first')
    expect((await cache.get('k')).createdBy).toBe('first')
    await replace(store, 'k', 'second')
    expect((await cache.get('k')).createdBy).toBe('first') // cached, nobody told it
    store.replaced('k')
    expect((await cache.get('k')).createdBy).toBe('second')
    await store.delete('k', signal())
    store.notify('k', 'deleted')
    await expect(cache.get('k')).rejects.toBeInstanceOf(KeyNotFoundError)
  })

  it('reads a key again when the store reports its creation, and still serves its copy through an outage', async () => {
    // Another server created 'k'; this one used it before its watch reported the creation (etcd's
    // watch lags behind a read). Dropping the copy then would leave nothing to serve offline.
    const { store, cache } = await setup(60_000)
    await replace(store, 'k', 'made-elsewhere')
    expect((await cache.get('k')).createdBy).toBe('made-elsewhere')
    const reads = store.reads
    store.notify('k', 'created')
    expect((await cache.get('k')).createdBy).toBe('made-elsewhere')
    expect(store.reads).toBe(reads + 1) // not served from the copy while the store answers
    store.notify('k', 'created')
    store.down = true
    expect((await cache.get('k')).createdBy).toBe('made-elsewhere')
    expect(cache.offline).toBe(true)
  })

  it('does not serve a copy the store reported deleted, not even through an outage', async () => {
    const { store, cache } = await setup(60_000)
    await replace(store, 'k', 'gone-soon')
    await cache.get('k')
    await store.delete('k', signal())
    store.notify('k', 'deleted')
    store.down = true
    await expect(cache.get('k')).rejects.toBeInstanceOf(UnreachableError)
  })

  it('drops every key on a reset', async () => {
    const { store, cache } = await setup()
    await replace(store, 'a', 'a1')
    await replace(store, 'b', 'b1')
    await cache.get('a')
    await cache.get('b')
    await replace(store, 'a', 'a2')
    await replace(store, 'b', 'b2')
    store.reset()
    expect((await cache.get('a')).createdBy).toBe('a2')
    expect((await cache.get('b')).createdBy).toBe('b2')
  })

  it('does not cache what a fetch read before a change it was overtaken by', async () => {
    const { store, cache } = await setup()
    await replace(store, 'k', 'old')
    const release: (() => void)[] = []
    store.holds = [0, 1].map(() => new Promise<void>((r) => release.push(r)))
    const slow = cache.get('k') // reads 'old', answers later
    await new Promise((r) => setTimeout(r, 5))
    await replace(store, 'k', 'new')
    store.replaced('k')
    const fresh = cache.get('k') // a new fetch after the change, still under way
    await new Promise((r) => setTimeout(r, 5))
    release[0]!()
    expect((await slow).createdBy).toBe('old') // that request was already under way
    // The old answer must not have been cached: this joins the new fetch instead.
    const next = cache.get('k')
    release[1]!()
    expect((await next).createdBy).toBe('new')
    expect((await fresh).createdBy).toBe('new')
  })

  it('stops following when the cache closes', async () => {
    const { store, cache } = await setup()
    expect(store.listeners.size).toBe(1)
    await cache.close()
    expect(store.listeners.size).toBe(0)
  })
})
