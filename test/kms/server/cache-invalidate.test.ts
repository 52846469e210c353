/**
 * KeyCache invalidation: a change made elsewhere (a peer worker's announcement, a store's own
 * notification) drops the key at once, a fetch that read the key before the change never puts
 * the old copy back, and every change made here is announced to the peers before it returns.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { MemoryKeyStore } from '../../../backends/memory.js'
import { encodeKeyVersion, generateKeyVersion } from '../../../src/kms/crypto/key.js'
import { KeyCache } from '../../../src/kms/keystore/cache.js'
import { KeyNotFoundError, type KeyChange } from '../../../src/kms/keystore/keystore.js'
import type { CachePeers } from '../../../src/kms/keystore/peers.js'
import { timedKeyStore } from '../../../src/kms/observability/keystore-metrics.js'

const signal = () => AbortSignal.timeout(5_000)
const caches: KeyCache[] = []
afterEach(async () => {
  await Promise.all(caches.splice(0).map((c) => c.close()))
})

/** A store whose get can be held until released, to order a fetch against a change. */
class GatedStore extends MemoryKeyStore {
  gate: Promise<void> | undefined
  override async get(name: string, s: AbortSignal): Promise<Uint8Array> {
    const value = await super.get(name, s)
    await this.gate
    return value
  }
}

/** A store that notifies changes, as an etcd-backed one would. */
class NotifyingStore extends MemoryKeyStore {
  readonly listeners = new Set<(name: string, change: KeyChange) => void>()
  watch(onChange: (name: string, change: KeyChange) => void): () => void {
    this.listeners.add(onChange)
    return () => this.listeners.delete(onChange)
  }
}

/** Peers that record announcements and let the test deliver one. */
function recordingPeers(): CachePeers & { announced: string[]; deliver(name: string): void; listeners: number } {
  const listeners = new Set<(name: string) => void>()
  return {
    announced: [],
    get listeners() {
      return listeners.size
    },
    announce(name) {
      this.announced.push(name)
      return Promise.resolve()
    },
    listen(invalidate) {
      listeners.add(invalidate)
      return () => listeners.delete(invalidate)
    },
    deliver(name) {
      for (const l of listeners) l(name)
    },
  }
}

function cache(store: MemoryKeyStore, peers?: CachePeers): KeyCache {
  const c = new KeyCache(store, { anyMs: 600_000, unusedMs: 600_000, offlineMs: 600_000, probeMs: 0, ...(peers ? { peers } : {}) })
  caches.push(c)
  return c
}

const material = (k: { key: Uint8Array }) => Buffer.from(k.key).toString('hex')

describe('KeyCache invalidation', () => {
  it('forgets a key deleted and re-created behind its back once told, and never serves the old material again', async () => {
    const store = new MemoryKeyStore()
    const peers = recordingPeers()
    const c = cache(store, peers)
    await store.create('k', encodeKeyVersion(generateKeyVersion('old')), signal())
    const old = await c.get('k')
    // Another worker deletes k: this cache still serves it until told (the reported bug) ...
    await store.delete('k', signal())
    expect(material(await c.get('k'))).toBe(material(old))
    peers.deliver('k')
    await expect(c.get('k')).rejects.toThrow(KeyNotFoundError)
    // ... and re-creates it: the new material, never the old one, even with offline retention on.
    await store.create('k', encodeKeyVersion(generateKeyVersion('new')), signal())
    peers.deliver('k')
    const fresh = await c.get('k')
    expect(fresh.createdBy).toBe('new')
    expect(material(fresh)).not.toBe(material(old))
  })

  it('does not cache what a fetch read before an invalidation overtook it', async () => {
    const store = new GatedStore()
    const c = cache(store)
    await store.create('k', encodeKeyVersion(generateKeyVersion('old')), signal())
    let release!: () => void
    store.gate = new Promise((r) => (release = r))
    const slow = c.get('k') // reads the old key, then waits at the gate
    await new Promise((r) => setTimeout(r, 10))
    await store.delete('k', signal())
    await store.create('k', encodeKeyVersion(generateKeyVersion('new')), signal())
    c.invalidate('k')
    store.gate = undefined
    const fresh = c.get('k') // a new fetch, started after the invalidation
    release()
    expect((await slow).createdBy).toBe('old') // the request that raced the change
    expect((await fresh).createdBy).toBe('new')
    expect((await c.get('k')).createdBy).toBe('new')
  })

  it('announces create and delete to its peers before returning, and a delete of an absent key too', async () => {
    const store = new MemoryKeyStore()
    let release!: () => void
    const announced: string[] = []
    const peers: CachePeers = {
      announce: (name) => {
        announced.push(name)
        return new Promise((r) => (release = r))
      },
      listen: () => () => undefined,
    }
    const c = cache(store, peers)
    let done = false
    const creating = c.create('k', generateKeyVersion('me'), signal()).then(() => (done = true))
    await new Promise((r) => setTimeout(r, 10))
    expect(announced).toEqual(['k'])
    expect(done).toBe(false) // waits for the peers' acknowledgement
    release()
    await creating
    const deleting = c.delete('k', signal())
    await new Promise((r) => setTimeout(r, 10))
    release()
    await deleting
    const absent = c.delete('k', signal())
    await new Promise((r) => setTimeout(r, 10))
    release()
    await expect(absent).rejects.toThrow(KeyNotFoundError)
    expect(announced).toEqual(['k', 'k', 'k'])
  })

  it('drops a key the store notifies as changed, and stops listening on close', async () => {
    const store = new NotifyingStore()
    const peers = recordingPeers()
    // Through the metrics wrapper the server puts around every store: it must pass the watch on.
    const timed = timedKeyStore(store, { lookup: () => undefined, keystoreCall: () => undefined })
    const c = new KeyCache(timed, { anyMs: 600_000, unusedMs: 600_000, offlineMs: 0, probeMs: 0, peers })
    await store.create('k', encodeKeyVersion(generateKeyVersion('old')), signal())
    await c.get('k')
    await store.delete('k', signal())
    for (const l of store.listeners) l('k', 'deleted')
    await expect(c.get('k')).rejects.toThrow(KeyNotFoundError)
    expect(peers.announced).toEqual([]) // a store's notification reaches every server itself
    await c.close()
    expect(store.listeners.size).toBe(0)
    expect(peers.listeners).toBe(0)
  })
})
