/**
 * KeyStates: reading and changing key states (key-state.ts) in the shared keystore, with a cache
 * that follows the same invalidations as the key cache: a change made here is announced to the
 * cache peers (the other workers) before it returns, and a peer's announcement or a change the
 * store notifies (etcd) drops the state here at once. The creation of the key itself only marks
 * its state stale, as the key cache does with the key (cache.ts), so that a key used just before
 * an outage keeps serving. Without notifications, another server sees a change within
 * `cache.expiry.any`, as for keys.
 *
 * @module
 */
import {
  isUnreachable, KeyExistsError, KeyNotFoundError, type KeyChange, type KeyStore,
} from './keystore.js'
import type { CachePeers } from './peers.js'
import { SingleFlight } from './single-flight.js'
import { storeSignal, untilDeadline } from './store-deadline.js'
import {
  decodeKeyState, encodeKeyState, keyOfStateEntry, STATE_ENTRY_PREFIX, stateEntryName, type KeyState,
} from './key-state.js'

/** KeyStateConflictError: another change of the same key's state won the race; retry. */
export class KeyStateConflictError extends Error {
  constructor(name: string) {
    super(`the state of key '${name}' was changed concurrently`)
    this.name = 'KeyStateConflictError'
  }
}

/** Options of {@link KeyStates}. */
export interface KeyStatesOptions {
  /** How long a read state is trusted without a notification (the cache's `any` expiry; 0 = forever). */
  anyMs: number
  peers?: CachePeers
}

/** Both slots of a key as read from the store, and the state that wins. */
export interface KeyStateRead {
  state: KeyState | undefined
  /** The slots that hold an entry, with their decoded states (undefined: not ours). */
  slots: Array<{ slot: 0 | 1; state: KeyState | undefined }>
}

interface Entry {
  state: KeyState | undefined
  loadedAt: number
  /** Read again before use; served only while the store is unreachable. */
  stale: boolean
}

/** KeyStates reads and writes key states; see the module comment. */
export class KeyStates {
  readonly #store: KeyStore
  readonly #peers: CachePeers | undefined
  readonly #entries = new Map<string, Entry>()
  readonly #reads = new SingleFlight<KeyState | undefined>()
  readonly #unsubscribe: Array<() => void> = []
  #anyMs: number

  constructor(store: KeyStore, options: KeyStatesOptions) {
    this.#store = store
    this.#peers = options.peers
    this.#anyMs = options.anyMs
    // A key-drop names the key; a store notification names the side entry (or the key).
    const drop = (name: string) => this.invalidate(keyOfStateEntry(name)?.name ?? name)
    if (this.#peers) this.#unsubscribe.push(this.#peers.listen(drop))
    const onStoreChange = (name: string, change: KeyChange) => {
      const entry = this.#entries.get(name)
      // A key's re-creation follows its deletion, reported first, which dropped its state here: what
      // is cached now was read since. A rotation's replacement keeps the key's birth, hence its state.
      // Any change of a state entry drops.
      if (change === 'created' && entry !== undefined) {
        entry.stale = true
        this.#reads.forget(name)
      } else drop(name)
    }
    if (store.watch) this.#unsubscribe.push(store.watch(onStoreChange, () => this.#entries.clear()))
  }

  /** setExpiry applies a reloaded `cache.expiry.any`. Throws nothing. */
  setExpiry(anyMs: number): void {
    this.#anyMs = anyMs
  }

  /**
   * get returns the stored state of `name` (undefined: enabled), from the cache when fresh. When
   * the store is unreachable a cached state is served however old. On a miss it waits for the
   * (shared) read at most until `deadline()`, asked for only then. Throws UnreachableError
   * without one, the deadline's reason, or the store's Error.
   */
  async get(name: string, deadline?: () => AbortSignal): Promise<KeyState | undefined> {
    const e = this.#entries.get(name)
    const now = Date.now()
    if (e !== undefined && !e.stale && (this.#anyMs <= 0 || now - e.loadedAt < this.#anyMs)) return e.state
    const p = this.#reads.run(name, (isCurrent) => this.read(name, storeSignal()).then((r) => {
      // As in the key cache: a fetch overtaken by an invalidation does not put its result back.
      if (isCurrent()) this.#entries.set(name, { state: r.state, loadedAt: Date.now(), stale: false })
      return r.state
    }))
    try {
      // Shared, with its own deadline; this caller waits only until its request's.
      return await untilDeadline(p, deadline?.())
    } catch (err) {
      const stale = this.#entries.get(name)
      if (isUnreachable(err) && stale !== undefined) return stale.state
      throw err
    }
  }

  /** read reads both slots of `name` from the store, bypassing the cache. Throws the store's errors. */
  async read(name: string, signal: AbortSignal): Promise<KeyStateRead> {
    const got = await Promise.all(
      ([0, 1] as const).map(async (slot) => {
        try {
          return { slot, state: decodeKeyState(await this.#store.get(stateEntryName(name, slot), signal)) }
        } catch (err) {
          if (err instanceof KeyNotFoundError) return undefined
          throw err
        }
      }),
    )
    const slots = got.filter((s) => s !== undefined)
    let state: KeyState | undefined
    for (const s of slots) if (s.state !== undefined && (state === undefined || s.state.seq > state.seq)) state = s.state
    return { state, slots }
  }

  /**
   * set replaces the state of `name` by `next`, given the `current` read it is based on (from
   * {@link read}). With `keepBeneath`, the current state stays in its slot under `next` (readers
   * take the higher `seq`), for a restore to bring back (a scheduled deletion of a disabled key).
   * Returns once the peers dropped their copies. Throws KeyStateConflictError when another change
   * won, or the store's errors.
   */
  async set(name: string, current: KeyStateRead, next: Omit<KeyState, 'seq'>, signal: AbortSignal, options: { keepBeneath?: boolean } = {}): Promise<void> {
    const winner = current.slots.find((s) => s.state !== undefined && s.state === current.state)
    const target: 0 | 1 = winner === undefined ? (current.slots.some((s) => s.slot === 0) ? 1 : 0) : winner.slot === 0 ? 1 : 0
    const stale = current.slots.find((s) => s.slot === target)
    // The free slot holds a loser (an older state, or an entry we cannot read): it never counts.
    if (stale !== undefined) await this.#deleteEntry(stateEntryName(name, target), signal)
    try {
      await this.#store.create(stateEntryName(name, target), encodeKeyState({ ...next, seq: (current.state?.seq ?? 0) + 1 }), signal)
    } catch (err) {
      if (err instanceof KeyExistsError) throw new KeyStateConflictError(name)
      throw err
    }
    const kept = options.keepBeneath === true ? winner?.slot : undefined
    for (const s of current.slots) if (s.slot !== target && s.slot !== kept) await this.#deleteEntry(stateEntryName(name, s.slot), signal)
    await this.#changed(name)
  }

  /** clear removes the given slots of `name` (default: both): the key is enabled again. Throws the store's errors. */
  async clear(name: string, signal: AbortSignal, slots: ReadonlyArray<0 | 1> = [0, 1]): Promise<void> {
    for (const slot of slots) await this.#deleteEntry(stateEntryName(name, slot), signal)
    await this.#changed(name)
  }

  /** entries lists the key names that have a state entry, with the slot. Throws the store's errors. */
  async entries(signal: AbortSignal): Promise<Array<{ name: string; slot: 0 | 1 }>> {
    // One listing for both slots: some stores (Vault) list everything and filter, so each call costs.
    const page = await this.#store.list(STATE_ENTRY_PREFIX, 0, signal)
    return page.names.map(keyOfStateEntry).filter((e) => e !== undefined)
  }

  /** invalidate forgets the cached state of `name` and any read in flight. Throws nothing. */
  invalidate(name: string): void {
    this.#entries.delete(name)
    this.#reads.forget(name)
  }

  /** close stops listening for invalidations. Idempotent; throws nothing. */
  close(): void {
    for (const stop of this.#unsubscribe.splice(0)) stop()
    this.#entries.clear()
  }

  async #deleteEntry(entry: string, signal: AbortSignal): Promise<void> {
    try {
      await this.#store.delete(entry, signal)
    } catch (err) {
      if (!(err instanceof KeyNotFoundError)) throw err
    }
  }

  async #changed(name: string): Promise<void> {
    this.invalidate(name)
    await this.#peers?.announce(name)
  }
}
