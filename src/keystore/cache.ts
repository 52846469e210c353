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
 * @module
 */
import { decodeKeyVersion, encodeKeyVersion, type KeyVersion } from '../crypto/key.js'
import { isUnreachable, type KeyListPage, type KeyStore, type KeyStoreState } from './keystore.js'
import type { CacheConfig } from '../config/types.js'

interface Entry {
  key: KeyVersion
  loadedAt: number
  usedAt: number
}

/** Options of a {@link KeyCache}. */
export interface KeyCacheOptions extends CacheConfig {
  /** Interval of the background status probe (default 10 s, as KES). 0 disables it. */
  probeMs?: number
  /** Called when the offline flag flips, for the error log. */
  onOfflineChange?: (offline: boolean, cause?: unknown) => void
  /** Called per key lookup: `hit` when the cache answered (the key-cache metrics). */
  onLookup?: (hit: boolean) => void
}

// A shared fetch must not die with the one request that started it; it gets its own deadline.
const FETCH_TIMEOUT_MS = 15_000

/** KeyCache wraps a {@link KeyStore}; see the module comment for the expiry rules. */
export class KeyCache {
  readonly #store: KeyStore
  readonly #entries = new Map<string, Entry>()
  readonly #inflight = new Map<string, Promise<KeyVersion>>()
  #expiry: CacheConfig
  #offline = false
  /** Bumped by every invalidation: a fetch that started before one must not cache what it read. */
  #epoch = 0
  readonly #onOfflineChange: KeyCacheOptions['onOfflineChange']
  readonly #onLookup: KeyCacheOptions['onLookup']
  readonly #timers: NodeJS.Timeout[] = []

  constructor(store: KeyStore, options: KeyCacheOptions) {
    this.#store = store
    this.#expiry = { anyMs: options.anyMs, unusedMs: options.unusedMs, offlineMs: options.offlineMs }
    this.#onOfflineChange = options.onOfflineChange
    this.#onLookup = options.onLookup
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
   * get returns the decoded key `name`. Throws KeyNotFoundError, UnreachableError (when the store
   * is down and no usable cached copy exists), InvalidKeyError for undecodable stored bytes, or
   * the store's Error.
   */
  async get(name: string): Promise<KeyVersion> {
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
    let p = this.#inflight.get(name)
    if (p === undefined) {
      p = this.#fetch(name)
      this.#inflight.set(name, p)
      const clear = () => {
        if (this.#inflight.get(name) === p) this.#inflight.delete(name)
      }
      p.then(clear, clear)
    }
    try {
      return await p
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
    const epoch = this.#epoch
    let bytes: Uint8Array
    try {
      bytes = await this.#store.get(name, AbortSignal.timeout(FETCH_TIMEOUT_MS))
    } catch (err) {
      if (isUnreachable(err)) this.#setOffline(true, err)
      throw err
    }
    this.#setOffline(false)
    const key = decodeKeyVersion(bytes)
    const now = Date.now()
    // Only cache when no delete or invalidation raced with this fetch: it may have read the old key.
    if (this.#inflight.has(name) && this.#epoch === epoch) this.#entries.set(name, { key, loadedAt: now, usedAt: now })
    return key
  }

  /** create stores a new key. Throws KeyExistsError, UnreachableError or the store's Error. */
  async create(name: string, key: KeyVersion, signal: AbortSignal): Promise<void> {
    await this.#store.create(name, encodeKeyVersion(key), signal)
    const now = Date.now()
    this.#entries.set(name, { key, loadedAt: now, usedAt: now })
  }

  /** delete removes a key from the store and the cache. Throws KeyNotFoundError or the store's Error. */
  async delete(name: string, signal: AbortSignal): Promise<void> {
    this.invalidate(name)
    try {
      await this.#store.delete(name, signal)
    } finally {
      this.#entries.delete(name)
    }
  }

  /**
   * invalidate forgets `name` and any fetch of it in flight: the next use reads the store.
   * Called for changes made elsewhere (a peer's announcement, a store's notification). Throws nothing.
   */
  invalidate(name: string): void {
    this.#epoch++
    this.#entries.delete(name)
    this.#inflight.delete(name)
  }

  /** invalidateAll forgets every key (the store may have missed telling us of changes). Throws nothing. */
  invalidateAll(): void {
    this.#epoch++
    this.#entries.clear()
    this.#inflight.clear()
  }

  /** list passes through to the store (listing is never cached). Throws the store's errors. */
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
    this.#entries.clear()
    await this.#store.close()
  }

  #fresh(e: Entry, now: number): boolean {
    const { anyMs, unusedMs } = this.#expiry
    return (anyMs <= 0 || now - e.loadedAt < anyMs) && (unusedMs <= 0 || now - e.usedAt < unusedMs)
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
