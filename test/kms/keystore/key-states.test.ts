/**
 * The key state side entries and their two slots, on the memory keystore: names no KES key can
 * take, the codec's limits (an entry we did not write never refuses service), the slot protocol
 * (create in the free slot, then delete the other; the higher seq wins), conflicts, and the cache
 * with its invalidation by the cache peers.
 */
import { describe, expect, it } from 'vitest'
import { MemoryKeyStore } from '../../../backends/memory.js'
import { isValidName } from '../../../src/kms/api/validate.js'
import {
  decodeKeyState, encodeKeyState, keyOfStateEntry, STATE_SLOTS, stateEntryName, type KeyState,
} from '../../../src/kms/keystore/key-state.js'
import { KeyStateConflictError, KeyStates } from '../../../src/kms/keystore/key-states.js'
import { UnreachableError, type KeyChange } from '../../../src/kms/keystore/keystore.js'
import type { CachePeers } from '../../../src/kms/keystore/peers.js'

const signal = () => AbortSignal.timeout(2_000)
const disabled = (decrypt = true): Omit<KeyState, 'seq'> => ({
  status: 'disabled', decrypt, keyCreatedAt: '2026-01-01T00:00:00.000Z', changedAt: new Date(), changedBy: 'me',
})

describe('side entry names', () => {
  it('are longer than any KES name, so no key can collide, and map back to their key', () => {
    for (const slot of [0, 1] as const) {
      const entry = stateEntryName('k', slot)
      expect(isValidName(entry)).toBe(false)
      expect(entry.length).toBeGreaterThan(80)
      expect(/^[0-9A-Za-z_-]+$/.test(entry)).toBe(true) // every backend (fs included) accepts it
      expect(keyOfStateEntry(entry)).toEqual({ name: 'k', slot })
    }
    expect(keyOfStateEntry('k')).toBeUndefined()
    expect(keyOfStateEntry(STATE_SLOTS[0])).toBeUndefined()
  })
})

describe('state codec', () => {
  it('round-trips, and forces decrypt off for a scheduled key', () => {
    const s: KeyState = { ...disabled(false), seq: 3 }
    expect(decodeKeyState(encodeKeyState(s))).toEqual(s)
    const sched: KeyState = { ...disabled(true), status: 'scheduled', deleteAt: new Date(), seq: 1 }
    expect(decodeKeyState(encodeKeyState(sched))?.decrypt).toBe(false)
  })

  it.each([
    ['not JSON', 'garbage'],
    ['wrong version', JSON.stringify({ v: 2, status: 'disabled', decrypt: true, key_created_at: '', changed_at: '2026-01-01T00:00:00Z', changed_by: '', seq: 1 })],
    ['unknown status', JSON.stringify({ v: 1, status: 'burnt', decrypt: true, key_created_at: '', changed_at: '2026-01-01T00:00:00Z', changed_by: '', seq: 1 })],
    ['scheduled without a time', JSON.stringify({ v: 1, status: 'scheduled', decrypt: false, key_created_at: '', changed_at: '2026-01-01T00:00:00Z', changed_by: '', seq: 1 })],
    ['extra field', JSON.stringify({ v: 1, status: 'disabled', decrypt: true, key_created_at: '', changed_at: '2026-01-01T00:00:00Z', changed_by: '', seq: 1, x: 1 })],
    ['bad date', JSON.stringify({ v: 1, status: 'disabled', decrypt: true, key_created_at: '', changed_at: 'yesterday', changed_by: '', seq: 1 })],
    ['oversized', ' '.repeat(5000)],
  ])('reads %s as no state', (_, text) => {
    expect(decodeKeyState(new TextEncoder().encode(text))).toBeUndefined()
  })
})

describe('KeyStates', () => {
  it('writes into the free slot, removes the other, and the higher seq wins', async () => {
    const store = new MemoryKeyStore()
    const states = new KeyStates(store, { anyMs: 60_000 })
    await states.set('k', await states.read('k', signal()), disabled(true), signal())
    expect((await store.list('', 0, signal())).names).toEqual([stateEntryName('k', 0)])
    await states.set('k', await states.read('k', signal()), disabled(false), signal())
    expect((await store.list('', 0, signal())).names).toEqual([stateEntryName('k', 1)])
    expect(await states.get('k')).toMatchObject({ decrypt: false, seq: 2 })
    // A crash between create and delete leaves both: the newer counts.
    await store.create(stateEntryName('k', 0), encodeKeyState({ ...disabled(true), seq: 1 }), signal())
    expect((await states.read('k', signal())).state).toMatchObject({ decrypt: false, seq: 2 })
    await states.set('k', await states.read('k', signal()), disabled(true), signal())
    expect((await store.list('', 0, signal())).names).toEqual([stateEntryName('k', 0)])
    expect((await states.read('k', signal())).state).toMatchObject({ decrypt: true, seq: 3 })
    await states.clear('k', signal())
    expect((await store.list('', 0, signal())).names).toEqual([])
    expect(await states.entries(signal())).toEqual([])
  })

  it('refuses the second of two changes based on the same read', async () => {
    const store = new MemoryKeyStore()
    const states = new KeyStates(store, { anyMs: 60_000 })
    const read = await states.read('k', signal())
    await states.set('k', read, disabled(true), signal())
    const other = new KeyStates(store, { anyMs: 60_000 })
    await expect(other.set('k', read, disabled(false), signal())).rejects.toBeInstanceOf(KeyStateConflictError)
  })

  it('serves its cache until a peer announces a change, and announces its own', async () => {
    const store = new MemoryKeyStore()
    const listeners = new Set<(name: string) => void>()
    const announced: string[] = []
    const peers: CachePeers = {
      announce: async (name) => void announced.push(name),
      listen: (fn) => (listeners.add(fn), () => listeners.delete(fn)),
    }
    const states = new KeyStates(store, { anyMs: 0, peers })
    expect(await states.get('k')).toBeUndefined()
    // Changed behind its back (another worker): the cache still says enabled …
    await new KeyStates(store, { anyMs: 0 }).set('k', { state: undefined, slots: [] }, disabled(true), signal())
    expect(await states.get('k')).toBeUndefined()
    // … until the peers say so.
    for (const fn of listeners) fn('k')
    expect(await states.get('k')).toMatchObject({ status: 'disabled' })
    await states.clear('k', signal())
    expect(announced).toEqual(['k'])
    states.close()
    expect(listeners.size).toBe(0)
  })

  it('following a store that notifies: a state entry\'s change drops, the key\'s creation only marks stale', async () => {
    const store = new NotifyingStore()
    const states = new KeyStates(store, { anyMs: 0 })
    await new KeyStates(store, { anyMs: 0 }).set('k', { state: undefined, slots: [] }, disabled(true), signal())
    expect(await states.get('k')).toMatchObject({ status: 'disabled' })
    // Another server enabled it: its slot's deletion is reported, and the state is read again.
    const other = new KeyStates(store, { anyMs: 0 })
    await other.clear('k', signal())
    store.notify(stateEntryName('k', 0), 'deleted')
    store.notify(stateEntryName('k', 1), 'deleted')
    expect(await states.get('k')).toBeUndefined()
    // The key's own creation, reported after this server read its state: read again while the
    // store answers, served from the copy through an outage (a key used just before it keeps working).
    await other.set('k', await other.read('k', signal()), disabled(false), signal())
    store.notify('k', 'created')
    expect(await states.get('k')).toMatchObject({ status: 'disabled', decrypt: false })
    store.notify('k', 'created')
    store.down = true
    expect(await states.get('k')).toMatchObject({ status: 'disabled', decrypt: false })
    // A state entry created while the store is down drops the copy: no known-outdated state is served.
    store.notify(stateEntryName('k', 0), 'created')
    await expect(states.get('k')).rejects.toBeInstanceOf(UnreachableError)
    states.close()
  })
})

/** A memory store that notifies changes as etcd's does, and can be taken down. */
class NotifyingStore extends MemoryKeyStore {
  readonly listeners = new Set<(name: string, change: KeyChange) => void>()
  down = false
  watch(onChange: (name: string, change: KeyChange) => void): () => void {
    this.listeners.add(onChange)
    return () => this.listeners.delete(onChange)
  }
  override async get(name: string, s: AbortSignal): Promise<Uint8Array> {
    if (this.down) throw new UnreachableError('store down')
    return super.get(name, s)
  }
  notify(name: string, change: KeyChange): void {
    for (const l of this.listeners) l(name, change)
  }
}
