/**
 * The older versions of rotated keys, kept in memory for decrypt (docs/key-rotation.md,
 * "Decrypt"). A ciphertext made under the current version never gets here; one made under an
 * older version costs one failed AEAD open per newer version, plus, the first time, a listing
 * and a read per version.
 *
 * An index entry is dropped with its key: a rotation or delete here or in another worker, a
 * change an etcd watch reports (of the key or any of its version entries), or after
 * {@link INDEX_TTL_MS}, so that a rotation made by another server sharing the keystore is seen.
 *
 * @module
 */
import type { KeyVersion } from '../crypto/key.js'
import type { KeyCache } from './cache.js'
import { readVersions, sameKey, type KeyVersions } from './key-versions.js'
import { parseVersionEntry } from './version-names.js'
import { storeSignal } from './store-deadline.js'

/** How long the versions of a key are kept after they were read. */
const INDEX_TTL_MS = 60_000
// A full miss (no version opens a ciphertext) re-reads the versions at most this often per key:
// a rotation by another server is found at once, a flood of forged ciphertexts costs a listing a second.
const REFRESH_MIN_MS = 1_000

interface Entry {
  loadedAt: number
  current: KeyVersion
  versions: Promise<KeyVersions>
}

/** VersionIndex caches the versions of keys for one {@link KeyCache}. Throws nothing itself. */
class VersionIndex {
  readonly #keys: KeyCache
  readonly #entries = new Map<string, Entry>()

  constructor(keys: KeyCache) {
    this.#keys = keys
    keys.onInvalidate((changed) => {
      if (changed === undefined) return this.#entries.clear()
      this.#entries.delete(parseVersionEntry(changed)?.name ?? changed)
    })
  }

  /**
   * versions returns every version of `name`, whose current key (from the cache) is `current`.
   * Throws StaleVersionsError, InvalidKeyError or what the keystore throws.
   */
  versions(name: string, current: KeyVersion): Promise<KeyVersions> {
    const now = Date.now()
    this.#sweep(now)
    const entry = this.#entries.get(name)
    if (entry !== undefined && sameKey(entry.current, current)) return entry.versions
    return this.#load(name, current, now)
  }

  /**
   * refresh re-reads the versions of `name` unless they were read less than a second ago, and
   * returns them, or undefined when they are that fresh. Throws like {@link versions}.
   */
  async refresh(name: string, current: KeyVersion): Promise<KeyVersions | undefined> {
    const now = Date.now()
    const entry = this.#entries.get(name)
    if (entry !== undefined && now - entry.loadedAt < REFRESH_MIN_MS) return undefined
    return this.#load(name, current, now)
  }

  #load(name: string, current: KeyVersion, now: number): Promise<KeyVersions> {
    const versions = readVersions(this.#keys, name, current, storeSignal())
    const entry: Entry = { loadedAt: now, current, versions }
    this.#entries.set(name, entry)
    // A failed read is not kept: the next request tries again.
    versions.catch(() => {
      if (this.#entries.get(name) === entry) this.#entries.delete(name)
    })
    return versions
  }

  #sweep(now: number): void {
    for (const [name, e] of this.#entries) if (now - e.loadedAt >= INDEX_TTL_MS) this.#entries.delete(name)
  }
}

const indexes = new WeakMap<KeyCache, VersionIndex>()

/** versionIndexOf returns the one index of `keys`. Throws nothing. */
export function versionIndexOf(keys: KeyCache): VersionIndex {
  let index = indexes.get(keys)
  if (index === undefined) indexes.set(keys, (index = new VersionIndex(keys)))
  return index
}
