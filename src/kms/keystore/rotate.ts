/**
 * Key rotation (docs/key-rotation.md, "How a rotation runs"): a new version of a key becomes
 * current. Every step is safe against another server rotating the same key at the same time
 * and against a crash at any point, because each version is first created exclusively at its
 * version entry (only one rotation can claim version N+1) and only then copied to the key's name.
 *
 * @module
 */
import { decodeKeyVersion, encodeKeyVersion, generateKeyVersion, type KeyVersion } from '../crypto/key.js'
import type { KeyCache } from './cache.js'
import { readVersions, sameKey, StaleVersionsError, versionedStoreOf, type KeyVersions } from './key-versions.js'
import { KeyExistsError, KeyNotFoundError } from './keystore.js'
import { MAX_VERSION, versionEntry } from './version-names.js'
import { KeyChangedError, type VersionedKeyStore } from './versioned-store.js'

/** RotationConflictError: another rotation of the key claimed the next version first. */
export class RotationConflictError extends Error {
  constructor(name: string) {
    super(`key '${name}' is being rotated concurrently`)
    this.name = 'RotationConflictError'
  }
}

/**
 * At most this many versions per key: an identity allowed to rotate could otherwise make every
 * decrypt of a forged ciphertext try millions of keys (each version costs decrypt one AEAD open).
 */
const MAX_VERSIONS = 1000

/** TooManyVersionsError: the key has {@link MAX_VERSIONS} versions; delete and re-create it, or raise the limit. */
export class TooManyVersionsError extends Error {
  constructor(name: string) {
    super(`key '${name}' has too many versions`)
    this.name = 'TooManyVersionsError'
  }
}

/** The version a rotation made current. */
export interface Rotated {
  version: number
  createdAt: Date
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b))

/** Options of {@link rotateKey}. */
export interface RotateOptions {
  /**
   * Rotate only when the current version was created before this time (automatic rotation:
   * another process may have rotated the key since it was found due). Then rotateKey returns
   * undefined instead of rotating.
   */
  onlyIfCreatedBefore?: Date
  /** The most versions a key may have (default {@link MAX_VERSIONS}). */
  maxVersions?: number
}

/**
 * rotateKey makes a new random version of `name` (same algorithm) current, keeps every older
 * version readable, and returns once every cache of this server dropped the old current version.
 * Returns undefined only when `onlyIfCreatedBefore` says so. Throws KeyNotFoundError,
 * RotationConflictError, TooManyVersionsError, StaleVersionsError, InvalidKeyError (the stored key cannot be decoded),
 * RangeError (no version number left), or what the keystore throws.
 */
export function rotateKey(keys: KeyCache, name: string, createdBy: string, signal: AbortSignal, options: RotateOptions = {}): Promise<Rotated | undefined> {
  const store = versionedStoreOf(keys)
  // A deletion in the middle would be undone by replaceCurrent's re-creation of the name.
  return store.exclusive(name, () => rotate(keys, store, name, createdBy, signal, options))
}

/**
 * First rotation: the original key becomes version 1 beside the name. Returns whether this call
 * stored it (another rotation may have). Throws RotationConflictError when version 1 holds another
 * key, or what the keystore throws.
 */
async function keepOriginal(store: VersionedKeyStore, name: string, original: Uint8Array, signal: AbortSignal): Promise<boolean> {
  try {
    await store.create(versionEntry(name, 1), original, signal)
    return true
  } catch (err) {
    if (!(err instanceof KeyExistsError)) throw err
    if (!sameBytes(await store.get(versionEntry(name, 1), signal), original)) throw new RotationConflictError(name)
    return false
  }
}

/**
 * lineageLives reports whether the key now at `name` is one of the versions stored beside it: the
 * key a rotation started from, rotated on by someone else. False when `name` is gone, or holds a
 * key created anew. Throws InvalidKeyError or what the keystore throws.
 */
async function lineageLives(keys: KeyCache, store: VersionedKeyStore, name: string, signal: AbortSignal): Promise<boolean> {
  try {
    await readVersions(keys, name, decodeKeyVersion(await store.get(name, signal)), signal)
    return true
  } catch (err) {
    if (err instanceof KeyNotFoundError || err instanceof StaleVersionsError) return false
    throw err
  }
}

/**
 * versionsClearingStale reads the versions of `name` like readVersions, but first removes versions that
 * belong to no key: when the key at the name (`currentBytes`) is none of them, it was deleted and created anew
 * (by a KES server, or here while another server's deletion was still in flight), and what is left beside it
 * opens nothing and would keep it from rotating. Throws StaleVersionsError when they could not all be removed
 * (changed meanwhile), RotationConflictError when the key at the name changed meanwhile, KeyNotFoundError,
 * InvalidKeyError, or what the keystore throws.
 */
async function versionsClearingStale(
  keys: KeyCache, store: VersionedKeyStore, name: string, currentBytes: Uint8Array, current: KeyVersion, signal: AbortSignal,
): Promise<KeyVersions> {
  try {
    return await readVersions(keys, name, current, signal)
  } catch (err) {
    if (!(err instanceof StaleVersionsError)) throw err
  }
  // What each entry holds, read before the name is checked again: another server may delete and re-create the
  // key and rotate it right after the check, under the same entry names. Only entries still holding this go.
  const held = await store.heldVersions(name, signal)
  // The current key's own version after all (a rotation elsewhere stored it meanwhile): nothing is stale.
  if (held.some(([, value]) => sameKey(decodeKeyVersion(value), current))) return readVersions(keys, name, current, signal)
  if (!sameBytes(await store.get(name, signal), currentBytes)) throw new RotationConflictError(name)
  await store.removeUnchanged(held, signal)
  return readVersions(keys, name, current, signal)
}

async function rotate(
  keys: KeyCache, store: VersionedKeyStore, name: string, createdBy: string, signal: AbortSignal, options: RotateOptions,
): Promise<Rotated | undefined> {
  let currentBytes = await store.get(name, signal)
  const current = decodeKeyVersion(currentBytes)
  const before = options.onlyIfCreatedBefore
  if (before !== undefined && current.createdAt !== undefined && current.createdAt >= before) return undefined
  const { versions } = await versionsClearingStale(keys, store, name, currentBytes, current, signal)
  const newest = versions[0]!
  if (versions.length >= (options.maxVersions ?? MAX_VERSIONS)) throw new TooManyVersionsError(name)
  // The entries this call stored, undone if the key turns out deleted meanwhile.
  const made: [entry: string, value: Uint8Array][] = []
  try {
    if (newest.version === 1 && versions.length === 1) {
      if (await keepOriginal(store, name, currentBytes, signal)) made.push([versionEntry(name, 1), currentBytes])
    } else if (!sameKey(newest.key, current)) {
      // An earlier rotation claimed a version but stopped before making it current: finish that first.
      const finished = encodeKeyVersion(newest.key)
      await store.replaceCurrent(name, currentBytes, finished, signal)
      currentBytes = finished
    }
    const version = newest.version + 1
    if (version > MAX_VERSION) throw new RangeError(`key '${name}' has no version number left`)
    const next = generateKeyVersion(createdBy, current.algorithm)
    const nextBytes = encodeKeyVersion(next)
    try {
      await store.create(versionEntry(name, version), nextBytes, signal)
    } catch (err) {
      if (err instanceof KeyExistsError) throw new RotationConflictError(name)
      throw err
    }
    made.push([versionEntry(name, version), nextBytes])
    await store.replaceCurrent(name, currentBytes, nextBytes, signal)
    await keys.changed(name)
    return { version, createdAt: next.createdAt! }
  } catch (err) {
    if (!(err instanceof KeyChangedError) && !(err instanceof KeyNotFoundError)) throw err
    // Changed or deleted by another server meanwhile: what the caches hold is stale.
    await keys.changed(name)
    // A deleted key's material must stay nowhere: unless another rotation went on from this one,
    // what this rotation stored belongs to no key. Entries changed since are someone else's and stay.
    if (made.length > 0 && !(await lineageLives(keys, store, name, signal))) {
      for (const [entry, value] of made) await store.removeIfUnchanged(entry, value, signal)
    }
    throw err instanceof KeyChangedError ? new RotationConflictError(name) : err
  }
}
