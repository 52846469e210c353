/**
 * Reading every version of a key (docs/key-rotation.md): for decrypt, describe and rotate.
 *
 * @module
 */
import { timingSafeEqual } from 'node:crypto'
import { decodeKeyVersion, type KeyVersion } from '../crypto/key.js'
import type { KeyCache } from './cache.js'
import { KeyNotFoundError } from './keystore.js'
import { versionEntry } from './version-names.js'
import { VersionedKeyStore } from './versioned-store.js'

/** One stored version of a key. */
export interface NumberedVersion {
  version: number
  key: KeyVersion
}

/** The versions of a key, newest first, and which of them is current (stored at the key's name). */
export interface KeyVersions {
  current: number
  versions: NumberedVersion[]
}

/**
 * StaleVersionsError: the key stored at a name is none of the versions stored beside it. The
 * key was deleted and re-created by something that does not know about versions (a KES server
 * on the same keystore), so the versions belong to a key that no longer exists: they are never
 * used, and the key's next rotation removes them (rotate.ts, docs/key-rotation.md).
 */
export class StaleVersionsError extends Error {
  constructor(name: string) {
    super(`key '${name}': the stored versions do not belong to the current key`)
    this.name = 'StaleVersionsError'
  }
}

/** versionedStoreOf returns the versioned keystore behind `keys`. Throws Error when the server was built without one. */
export function versionedStoreOf(keys: KeyCache): VersionedKeyStore {
  const store = keys.store
  if (!(store instanceof VersionedKeyStore)) throw new Error('keystore: key versions are not available')
  return store
}

/** sameKey compares two versions' key material in constant time. Throws nothing. */
export function sameKey(a: KeyVersion, b: KeyVersion): boolean {
  return a.key.length === b.key.length && timingSafeEqual(a.key, b.key)
}

/**
 * readVersions reads every version of `name`, given its current key (read through the cache).
 * A key never rotated has one version, 1: itself. Throws StaleVersionsError (see there),
 * InvalidKeyError for an undecodable version, or what the keystore throws.
 */
export async function readVersions(keys: KeyCache, name: string, current: KeyVersion, signal: AbortSignal): Promise<KeyVersions> {
  const store = keys.store
  // A cache built on a bare backend (embedding, tests) has no versions.
  const numbers = store instanceof VersionedKeyStore ? await store.versions(name, signal) : []
  if (numbers.length === 0) return { current: 1, versions: [{ version: 1, key: current }] }
  const versions: NumberedVersion[] = []
  for (const version of numbers) {
    try {
      versions.push({ version, key: decodeKeyVersion(await store.get(versionEntry(name, version), signal)) })
    } catch (err) {
      // Removed since the listing (a delete in progress): the others still count.
      if (!(err instanceof KeyNotFoundError)) throw err
    }
  }
  const match = versions.find((v) => sameKey(v.key, current))
  if (match === undefined) throw new StaleVersionsError(name)
  return { current: match.version, versions }
}
