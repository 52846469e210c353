/**
 * The purge of due keys, on the memory keystore: only due keys bound to their state go, a purge
 * claim held by another purger keeps this one off the key, a stale claim is dropped, and a state
 * whose key is gone is removed.
 */
import { describe, expect, it } from 'vitest'
import { MemoryKeyStore } from '../../../backends/memory.js'
import { encodeKeyVersion, generateKeyVersion } from '../../../src/kms/crypto/key.js'
import { KeyCache } from '../../../src/kms/keystore/cache.js'
import { keyBinding, PURGE_CLAIM } from '../../../src/kms/keystore/key-state.js'
import { CLAIM_STALE_MS, purgeDueKeys } from '../../../src/kms/keystore/key-purge.js'
import { KeyStates } from '../../../src/kms/keystore/key-states.js'

const signal = () => AbortSignal.timeout(2_000)

async function setup() {
  const store = new MemoryKeyStore()
  const keys = new KeyCache(store, { anyMs: 60_000, unusedMs: 60_000, offlineMs: 0, probeMs: 0 })
  const states = new KeyStates(store, { anyMs: 60_000 })
  const purged: string[] = []
  const schedule = async (name: string, deleteAt: number) => {
    const key = generateKeyVersion('admin')
    await store.create(name, encodeKeyVersion(key), signal())
    await states.set(name, await states.read(name, signal()), {
      status: 'scheduled', decrypt: false, keyCreatedAt: keyBinding(key.createdAt), changedAt: new Date(), changedBy: 'admin', deleteAt: new Date(deleteAt),
    }, signal())
  }
  const names = async () => (await store.list('', 0, signal())).names
  const run = (now = Date.now()) => purgeDueKeys({ store, keys, states, onPurged: (n) => purged.push(n) }, signal(), now)
  return { store, keys, states, purged, schedule, names, run }
}

describe('purgeDueKeys', () => {
  it('purges due keys only, with their states', async () => {
    const t = await setup()
    await t.schedule('due', Date.now() - 1)
    await t.schedule('later', Date.now() + 60_000)
    expect(await t.run()).toEqual(['due'])
    expect((await t.names()).filter((n) => n.length <= 80)).toEqual(['later'])
    expect((await t.states.entries(signal())).map((e) => e.name)).toEqual(['later'])
    expect(await t.run()).toEqual([])
    await t.keys.close()
  })

  it('leaves a key to the purger holding its claim, and drops a stale claim', async () => {
    const t = await setup()
    await t.schedule('k', Date.now() - 1)
    const claim = (at: number) => t.store.create(PURGE_CLAIM + 'k', new TextEncoder().encode(JSON.stringify({ at: new Date(at).toISOString() })), signal())
    await claim(Date.now())
    expect(await t.run()).toEqual([])
    expect(await t.names()).toContain('k')
    await t.store.delete(PURGE_CLAIM + 'k', signal())
    await claim(Date.now() - CLAIM_STALE_MS - 1000)
    expect(await t.run()).toEqual(['k'])
    expect(await t.names()).toEqual([])
    await t.keys.close()
  })

  it('removes a state whose key is gone, without reporting a purge', async () => {
    const t = await setup()
    await t.schedule('gone', Date.now() + 60_000)
    await t.store.delete('gone', signal())
    expect(await t.run()).toEqual([])
    expect(await t.names()).toEqual([])
    expect(t.purged).toEqual([])
    await t.keys.close()
  })
})
