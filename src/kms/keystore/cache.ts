/**
 * KeyCache: the keystore as handlers see it. Decoded keys are cached with KES's three expiries,
 * concurrent misses for one key fetch once (single-flight), and a background status probe marks
 * the store offline so that, with `offline > 0`, cached keys keep working through an outage.
 *
 * Expiry semantics (all in ms, 0 = off):
 * - `any`: an entry is re-fetched at most `any` after it was loaded;
 * - `unused`: an entry not used for `unused` is dropped;
 * - `offline`: when > 0, an entry is kept for `offline` after its last use and served, even
 *   when stale, while the store is unreachable.
 *
 * Every create, import or delete done here is announced to the cache's peers (the other workers)
 * before it returns, and an announcement from a peer or a deletion notified by the store drops the
 * key here ({@link KeyCache.invalidate}): a changed key is never served from an older copy. A
 * creation notified by the store only marks the copy stale ({@link KeyCache.revalidate}): the
 * next use reads the store, and while the store is unreachable the copy still serves under
 * `offline`. (The copy was most likely read after that creation: dropping it would leave a key
 * used just before an outage unavailable through it.)
 *
 * @module
 */
import { decodeKeyVersion, encodeKeyVersion, type KeyVersion } from '../crypto/key.js'
import { isUnreachable, KeyNotFoundError, type KeyChange, type KeyListPage, type KeyStore, type KeyStoreState } from './keystore.js'
import type { CacheConfig } from '../config/types.js'
import type { CachePeers } from './peers.js'
import { SingleFlight } from './single-flight.js'
import { storeSignal, untilDeadline } from './store-deadline.js'

interface Entry {
  key: KeyVersion
  loadedAt: number
  usedAt: number
  /** Set by {@link KeyCache.revalidate}: served only while the store is unreachable. */
  stale: boolean
}

/** Options of a {@link KeyCache}. */
export interface KeyCacheOptions extends CacheConfig {
  /** Interval of the background status probe (default 10 s, as KES). 0 disables it. */
  probeMs?: number
  /** Called when the offline flag flips, for the error log. */
  onOfflineChange?: (offline: boolean, cause?: unknown) => void
  /** Called per key lookup: `hit` when the cache answered (the key-cache metrics). */
  onLookup?: (hit: boolean) => void
  /** The other caches of the same keys (cluster workers): told about every change made here. */
  peers?: CachePeers
}

/** KeyCache wraps a {@link KeyStore}; see the module comment for the expiry rules. */
export class KeyCache {
  readonly #store: KeyStore
  readonly #entries = new Map<string, Entry>()
  readonly #fetches = new SingleFlight<KeyVersion>()
  #expiry: CacheConfig
  #offline = false
  readonly #onOfflineChange: KeyCacheOptions['onOfflineChange']
  readonly #onLookup: KeyCacheOptions['onLookup']
  readonly #timers: NodeJS.Timeout[] = []
  readonly #peers: CachePeers | undefined
  readonly #unsubscribe: (() => void)[] = []
  readonly #invalidateListeners = new Set<(name: string | undefined) => void>()

  constructor(store: KeyStore, options: KeyCacheOptions) {
    this.#store = store
    this.#expiry = { anyMs: options.anyMs, unusedMs: options.unusedMs, offlineMs: options.offlineMs }
    this.#onOfflineChange = options.onOfflineChange
    this.#onLookup = options.onLookup
    this.#peers = options.peers
    if (this.#peers) this.#unsubscribe.push(this.#peers.listen((name) => this.invalidate(name)))
    const onStoreChange = (name: string, change: KeyChange) => (change === 'created' ? this.revalidate(name) : this.invalidate(name))
    if (store.watch) this.#unsubscribe.push(store.watch(onStoreChange, () => this.invalidateAll()))
    const probeMs = options.probeMs ?? 10_000
    if (probeMs > 0) this.#timers.push(setInterval(() => void this.status(AbortSignal.timeout(probeMs)).catch(() => {}), probeMs).unref())
    // Sweeping drops key material from memory once nothing may serve it any more.
    this.#timers.push(setInterval(() => this.#sweep(), 1000).unref())
  }

  /** The underlying store (for its label). */
  get store(): KeyStore {
    return this.#store
  }

  /** Whether the last probe or fetch found the store unreachable. */
  get offline(): boolean {
    return this.#offline
  }

  /** setExpiry applies new expiries (config reload); entries are kept. */
  setExpiry(expiry: CacheConfig): void {
    this.#expiry = { ...expiry }
  }

  /**
   * get returns the decoded key `name`. On a miss it waits for the (shared) fetch at most until
   * `deadline()`, asked for only then (ApiRequest.storeSignal). Throws KeyNotFoundError,
   * UnreachableError (when the store is down and no usable cached copy exists), InvalidKeyError
   * for undecodable stored bytes, the deadline's reason, or the store's Error.
   */
  async get(name: string, deadline?: () => AbortSignal): Promise<KeyVersion> {
    const now = Date.now()
    const entry = this.#entries.get(name)
    if (entry !== undefined) {
      if (this.#fresh(entry, now) || (this.#offline && this.#retained(entry, now))) {
        entry.usedAt = now
        this.#onLookup?.(true)
        return entry.key
      }
    }
    this.#onLookup?.(false)
    const p = this.#fetches.run(name, (isCurrent) => this.#fetch(name).then((key) => {
      // Cache only what no invalidation overtook: invalidate() forgets the in-flight fetch, so
      // a fetch that read the key before a delete or re-create does not put it back.
      if (isCurrent()) {
        const now = Date.now()
        this.#entries.set(name, { key, loadedAt: now, usedAt: now, stale: false })
      }
      return key
    }))
    try {
      // The fetch is shared and has its own deadline; this caller waits only until its request's.
      return await untilDeadline(p, deadline?.())
    } catch (err) {
      const stale = this.#entries.get(name)
      if (isUnreachable(err) && stale !== undefined && this.#retained(stale, Date.now())) {
        stale.usedAt = Date.now()
        return stale.key
      }
      throw err
    }
  }

  async #fetch(name: string): Promise<KeyVersion> {
    let bytes: Uint8Array
    try {
      // A shared fetch must not die with the one request that started it: it gets its own deadline,
      // which ends before the request's (store-deadline.ts).
      bytes = await this.#store.get(name, storeSignal())
    } catch (err) {
      if (isUnreachable(err)) this.#setOffline(true, err)
      throw err
    }
    this.#setOffline(false)
    return decodeKeyVersion(bytes)
  }

  /**
   * create stores a new key and returns once the peers forgot any older key of that name, under the
   * caller's signal (a request's brings its deadline: ApiRequest.storeSignal).
   * Throws KeyExistsError, UnreachableError or the store's Error.
   */
  async create(name: string, key: KeyVersion, signal: AbortSignal): Promise<void> {
    await this.#store.create(name, encodeKeyVersion(key), signal)
    this.invalidate(name)
    const now = Date.now()
    this.#entries.set(name, { key, loadedAt: now, usedAt: now, stale: false })
    await this.#peers?.announce(name)
  }

  /**
   * delete removes a key from the store, this cache and the peers' caches. Throws
   * KeyNotFoundError or the store's Error.
   */
  async delete(name: string, signal: AbortSignal): Promise<void> {
    this.invalidate(name)
    try {
      await this.#store.delete(name, signal)
    } catch (err) {
      // Absent from the store but maybe still cached by a peer (deleted by another server on a
      // shared keystore): announce anyway, so the 404 is true in every worker.
      if (err instanceof KeyNotFoundError) await this.#announceAfter(name)
      throw err
    }
    await this.#announceAfter(name)
  }

  /**
   * invalidate forgets `name` and any fetch of it in flight: the next use reads the store.
   * Called for changes made elsewhere (a peer's announcement, a store's notification). Throws nothing.
   */
  invalidate(name: string): void {
    this.#entries.delete(name)
    this.#fetches.forget(name)
    for (const listener of this.#invalidateListeners) listener(name)
  }

  /**
   * revalidate marks the copy of `name` stale and forgets any fetch of it in flight: the next use
   * reads the store, and serves the copy only if the store is unreachable and `offline` allows.
   * For a creation made elsewhere, or a rotation's replacement of the current version: the deletion
   * of any older key of that name was reported before it and dropped that key, so the copy can only
   * be this key, in this or an older version (every version stays readable). Listeners are told as for {@link invalidate}. Throws nothing.
   */
  revalidate(name: string): void {
    const entry = this.#entries.get(name)
    if (entry !== undefined) entry.stale = true
    this.#fetches.forget(name)
    for (const listener of this.#invalidateListeners) listener(name)
  }

  /**
   * invalidateAll forgets every key and every fetch in flight (a store's watch may have missed
   * changes). Throws nothing.
   */
  invalidateAll(): void {
    this.#entries.clear()
    this.#fetches.forgetAll()
    for (const listener of this.#invalidateListeners) listener(undefined)
  }

  /**
   * onInvalidate calls `listener(name)` whenever {@link invalidate} drops `name` and
   * `listener(undefined)` on {@link invalidateAll}, so that state derived from keys (the older
   * versions of a rotated key) is dropped with them. Returns the unsubscribe. Throws nothing.
   */
  onInvalidate(listener: (name: string | undefined) => void): () => void {
    this.#invalidateListeners.add(listener)
    return () => this.#invalidateListeners.delete(listener)
  }

  /**
   * changed announces a change made to `name` directly in the store (a rotation): this cache
   * and every peer drop it before this resolves. Throws nothing.
   */
  async changed(name: string): Promise<void> {
    await this.#announceAfter(name)
  }

  async #announceAfter(name: string): Promise<void> {
    // A fetch that started while the store call ran may have read the old key.
    this.invalidate(name)
    await this.#peers?.announce(name)
  }

  /**
   * list passes through to the store (listing is never cached), under the caller's signal: a request's listing
   * brings its own deadline (store-deadline.ts), a background one (rotation) may take longer. Throws the store's errors.
   */
  list(prefix: string, limit: number, signal: AbortSignal): Promise<KeyListPage> {
    return this.#store.list(prefix, limit, signal)
  }

  /** status probes the store and updates the offline flag. Throws what the store's status throws. */
  async status(signal: AbortSignal): Promise<KeyStoreState> {
    try {
      const state = await this.#store.status(signal)
      this.#setOffline(false)
      return state
    } catch (err) {
      if (isUnreachable(err)) this.#setOffline(true, err)
      throw err
    }
  }

  /** close stops the timers, forgets every key and closes the store. Idempotent. */
  async close(): Promise<void> {
    for (const t of this.#timers.splice(0)) clearInterval(t)
    for (const stop of this.#unsubscribe.splice(0)) stop()
    this.#entries.clear()
    await this.#store.close()
  }

  #fresh(e: Entry, now: number): boolean {
    const { anyMs, unusedMs } = this.#expiry
    return !e.stale && (anyMs <= 0 || now - e.loadedAt < anyMs) && (unusedMs <= 0 || now - e.usedAt < unusedMs)
  }

  #retained(e: Entry, now: number): boolean {
    return this.#expiry.offlineMs > 0 && now - e.usedAt < this.#expiry.offlineMs
  }

  #sweep(): void {
    const now = Date.now()
    for (const [name, e] of this.#entries) if (!this.#fresh(e, now) && !this.#retained(e, now)) this.#entries.delete(name)
  }

  #setOffline(offline: boolean, cause?: unknown): void {
    if (this.#offline === offline) return
    this.#offline = offline
    this.#onOfflineChange?.(offline, cause)
  }
}
