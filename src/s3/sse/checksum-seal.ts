/**
 * Checksums (x-amz-checksum-*) of encrypted objects and parts as they are stored: the value is sealed under a
 * key derived from the object key, as ETags are (object-key.ts sealETag), so that DATA_DIR never holds a hash
 * of the plaintext (an unsalted SHA-256 or CRC of a file confirms a guessed file). MinIO seals the checksums
 * of encrypted objects under the object key too.
 *
 * Stored form: {@link SEALED_PREFIX} followed by the standard base64 of the DARE ciphertext of the raw
 * checksum bytes. The sealing key is HMAC-SHA256(objectKey, "SSE-checksum" ‖ 0 ‖ algorithm ‖ 0 ‖ LE32(part)),
 * so a sealed value opens only for its object, its algorithm and its place (part 0: the whole object's
 * checksum; n: part n's), and cannot be moved between them on disk unnoticed. The algorithm and the checksum
 * type stay in clear (listings show the algorithm without any key).
 *
 * A value without the prefix is a checksum stored in clear before sealing existed (every clear value is
 * standard base64, in which `~` never occurs) and is returned as is.
 *
 * @module
 */
import { createHmac } from 'node:crypto'
import { S3_ERRORS } from '../api/errors.js'
import { DareError, decryptBuffer, encryptBuffer } from './dare.js'

/** SEALED_PREFIX starts every sealed checksum value; `~` is not a base64 character. */
export const SEALED_PREFIX = 'sealed~'

/** isSealedChecksum tells whether a stored checksum value is sealed (else it is an old clear value). Throws nothing. */
export function isSealedChecksum(stored: string): boolean {
  return stored.startsWith(SEALED_PREFIX)
}

function checksumKey(objectKey: Buffer, algorithm: string, part: number): Buffer {
  const id = Buffer.alloc(4)
  id.writeUInt32LE(part >>> 0)
  return createHmac('sha256', objectKey).update('SSE-checksum\0').update(algorithm).update('\0').update(id).digest()
}

/**
 * sealChecksum returns the stored form of a checksum value (base64, as clients send and see it) of an
 * encrypted object (`part` 0) or of its part `part`. Throws RangeError when `objectKey` is not 32 bytes.
 */
export function sealChecksum(objectKey: Buffer, algorithm: string, value: string, part: number): string {
  if (objectKey.length !== 32) throw new RangeError('invalid object key size')
  const raw = Buffer.from(value, 'base64')
  return SEALED_PREFIX + encryptBuffer(checksumKey(objectKey, algorithm, part), raw).toString('base64')
}

/**
 * unsealChecksum returns the base64 checksum value a stored one stands for: a sealed value is opened with the
 * object key, an old clear one is returned unchanged. Throws S3Error InternalError (objectTampered) when a
 * sealed value does not open for this object key, algorithm and part (altered, moved, or a wrong key): the
 * sealed value is never shown as a checksum.
 */
export function unsealChecksum(objectKey: Buffer, algorithm: string, stored: string, part: number): string {
  if (!isSealedChecksum(stored)) return stored
  const sealed = stored.slice(SEALED_PREFIX.length)
  if (objectKey.length !== 32 || !/^[A-Za-z0-9+/]*={0,2}$/.test(sealed)) throw S3_ERRORS.objectTampered()
  try {
    const raw = decryptBuffer(checksumKey(objectKey, algorithm, part), Buffer.from(sealed, 'base64'))
    if (raw.length === 0) throw S3_ERRORS.objectTampered()
    return raw.toString('base64')
  } catch (err) {
    if (err instanceof DareError) throw S3_ERRORS.objectTampered()
    throw err
  }
}
