/**
 * When a key was born: the time its key states bind to (docs/operations.md, "Key states and safe
 * deletion"). A state must not outlive its key (a key deleted and created again under the same name
 * starts enabled), yet it must outlive every rotation of it (a rotation makes a new current version
 * with a new creation time, and a disabled key must stay disabled: docs/key-rotation.md).
 *
 * @module
 */
import type { KeyVersion } from '../crypto/key.js'
import type { KeyCache } from './cache.js'
import { StaleVersionsError } from './key-versions.js'
import { versionIndexOf } from './version-index.js'
import { untilDeadline } from './store-deadline.js'

/**
 * keyBirth returns when key `name` (current version `current`) was first created: the creation time
 * of its version 1 once it has been rotated, else its own. Versions that do not belong to the key
 * (left by a KES server that deleted and re-created it) are ignored. Throws InvalidKeyError for an
 * undecodable version, what the keystore throws, or `deadline()`'s reason when it aborts first.
 */
export async function keyBirth(keys: KeyCache, name: string, current: KeyVersion, deadline?: () => AbortSignal): Promise<Date | undefined> {
  try {
    const { versions } = await untilDeadline(versionIndexOf(keys).versions(name, current), deadline?.())
    return versions[versions.length - 1]?.key.createdAt ?? current.createdAt
  } catch (err) {
    if (err instanceof StaleVersionsError) return current.createdAt
    throw err
  }
}
