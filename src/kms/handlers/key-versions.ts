/**
 * Decrypt across the versions of a rotated key (docs/key-rotation.md, "Decrypt"). KES
 * ciphertexts name no version, so the current version is tried first and then every older one,
 * newest first: AES-GCM and ChaCha20-Poly1305 reject a wrong key by the tag, cheaply and without
 * ambiguity. Keys never rotated cost nothing extra beyond one listing on a failed decrypt.
 *
 * The `version` field newer kms-go clients may send is ignored, as KES does: no KES answer ever
 * told a client a version, so nothing it sends can be trusted to mean ours.
 *
 * @module
 */
import { tryDecrypt } from '../crypto/ciphertext.js'
import type { KeyVersion } from '../crypto/key.js'
import { errDecrypt, errReadKey } from '../api/errors.js'
import { sameKey, StaleVersionsError, type KeyVersions } from '../keystore/key-versions.js'
import { versionIndexOf } from '../keystore/version-index.js'
import { untilDeadline } from '../keystore/store-deadline.js'
import type { ServerContext } from '../state.js'
import { keyError } from './key-errors.js'

const tryOpen = tryDecrypt

/**
 * versionedOpener returns `open(name, current, ciphertext, context)`, which decrypts under any
 * version of key `name` whose current version (from the cache) is `current`. The returned
 * function throws 400 `decryption failed: ciphertext is not authentic` when no version opens
 * the ciphertext, or 502 `failed to read key` when the versions cannot be read before `deadline()` (the
 * request's, asked for only when an older version is needed).
 */
export function versionedOpener(ctx: ServerContext) {
  const index = versionIndexOf(ctx.keys)
  const tryVersions = (kv: KeyVersions | undefined, current: KeyVersion, ciphertext: Uint8Array, context: Uint8Array, tried: Set<number>) => {
    for (const v of kv?.versions ?? []) {
      if (tried.has(v.version) || sameKey(v.key, current)) continue
      tried.add(v.version)
      const plaintext = tryOpen(v.key, ciphertext, context)
      if (plaintext !== undefined) return plaintext
    }
    return undefined
  }
  const read = async (load: () => Promise<KeyVersions | undefined>, name: string): Promise<KeyVersions | undefined> => {
    try {
      return await load()
    } catch (err) {
      if (err instanceof StaleVersionsError) {
        // Versions of a deleted key must never open anything: only the current key counts.
        ctx.log.warn({ key: name }, 'key versions do not belong to the current key: ignored (see docs/key-rotation.md)')
        return undefined
      }
      throw keyError(err, errReadKey)
    }
  }

  return async (name: string, current: KeyVersion, ciphertext: Uint8Array, context: Uint8Array, deadline?: () => AbortSignal): Promise<Uint8Array> => {
    const plaintext = tryOpen(current, ciphertext, context)
    if (plaintext !== undefined) return plaintext
    const tried = new Set<number>()
    // The versions are read once for all requests (their own 12 s); this request waits until its deadline only.
    const older = tryVersions(await read(() => untilDeadline(index.versions(name, current), deadline?.()), name), current, ciphertext, context, tried)
    if (older !== undefined) return older
    // Another server may have rotated the key since the versions were read.
    const again = tryVersions(await read(() => untilDeadline(index.refresh(name, current), deadline?.()), name), current, ciphertext, context, tried)
    if (again !== undefined) return again
    throw errDecrypt()
  }
}
