/**
 * The per-object key hierarchy of MinIO (`internal/crypto/key.go`): object key generation from an
 * external key, sealing bound to bucket/object, part keys and sealed ETags.
 *
 * @module
 */
import { createHmac, randomBytes } from 'node:crypto'
import { posix } from 'node:path'
import { DareError, decryptBuffer, encryptBuffer } from './dare.js'

/** SEAL_ALGORITHM is the only sealing algorithm MinIO writes. */
export const SEAL_ALGORITHM = 'DAREv2-HMAC-SHA256'

/** The sealing domain of each SSE kind. */
export type SseDomain = 'SSE-S3' | 'SSE-KMS' | 'SSE-C'

/** KeyMismatchError: the sealed object key does not open with this external key (MinIO ErrSecretKeyMismatch). */
export class KeyMismatchError extends Error {
  constructor() {
    super('The secret key does not match the secret key used during upload')
    this.name = 'KeyMismatchError'
  }
}

/** joinObjectPath is Go's `path.Join(bucket, object)`, the binding MinIO uses for keys and KMS contexts. */
export function joinObjectPath(bucket: string, object: string): string {
  const joined = posix.normalize(`${bucket}/${object}`)
  return joined.length > 1 && joined.endsWith('/') ? joined.slice(0, -1) : joined
}

/** generateObjectKey derives a fresh object key: HMAC-SHA256(extKey, "object-encryption-key generation" ‖ random32). Throws RangeError for a bad key size. */
export function generateObjectKey(extKey: Buffer, random: Buffer = randomBytes(32)): Buffer {
  if (extKey.length !== 32) throw new RangeError('invalid external key size')
  return createHmac('sha256', extKey).update('object-encryption-key generation').update(random).digest()
}

function sealingKey(extKey: Buffer, iv: Buffer, domain: SseDomain, bucket: string, object: string): Buffer {
  return createHmac('sha256', extKey).update(iv).update(domain).update(SEAL_ALGORITHM).update(joinObjectPath(bucket, object)).digest()
}

/** sealObjectKey seals a 32-byte object key under `extKey`, bound to domain and bucket/object: 64 bytes. Throws RangeError for bad sizes. */
export function sealObjectKey(objectKey: Buffer, extKey: Buffer, iv: Buffer, domain: SseDomain, bucket: string, object: string): Buffer {
  if (objectKey.length !== 32 || extKey.length !== 32 || iv.length !== 32) throw new RangeError('invalid key or iv size')
  return encryptBuffer(sealingKey(extKey, iv, domain, bucket, object), objectKey)
}

/**
 * unsealObjectKey opens a sealed object key. Throws KeyMismatchError when the key, domain or
 * bucket/object binding does not match, or the sealed key was altered.
 */
export function unsealObjectKey(sealed: Buffer, extKey: Buffer, iv: Buffer, domain: SseDomain, bucket: string, object: string): Buffer {
  if (extKey.length !== 32 || iv.length !== 32 || sealed.length !== 64) throw new KeyMismatchError()
  try {
    const key = decryptBuffer(sealingKey(extKey, iv, domain, bucket, object), sealed)
    if (key.length !== 32) throw new KeyMismatchError()
    return key
  } catch (err) {
    if (err instanceof DareError || err instanceof KeyMismatchError) throw new KeyMismatchError()
    throw err
  }
}

/**
 * derivePartKey returns the key of multipart part `partNumber`: HMAC-SHA256(objectKey, LE32(partNumber)).
 * Every upload of one part number gets this same key, so each must be encrypted under a fresh random nonce
 * (see SseObjectCrypto's part plan). Throws nothing.
 */
export function derivePartKey(objectKey: Buffer, partNumber: number): Buffer {
  const id = Buffer.alloc(4)
  id.writeUInt32LE(partNumber >>> 0)
  return createHmac('sha256', objectKey).update(id).digest()
}

function etagKey(objectKey: Buffer): Buffer {
  return createHmac('sha256', objectKey).update('SSE-etag').digest()
}

/** sealETag encrypts ETag bytes under the object key (16 → 48 bytes); empty stays empty. */
export function sealETag(objectKey: Buffer, etag: Buffer): Buffer {
  return etag.length === 0 ? etag : encryptBuffer(etagKey(objectKey), etag)
}

/** unsealETag decrypts a sealed ETag; an unsealed one (≤ 16 bytes) is returned as is. Throws DareError if not authentic. */
export function unsealETag(objectKey: Buffer, etag: Buffer): Buffer {
  return etag.length <= 16 ? etag : decryptBuffer(etagKey(objectKey), etag)
}
