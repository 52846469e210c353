/**
 * ETags of encrypted objects and parts as MinIO stores and shows them (`internal/etag`, `cmd/encryption-v1.go`,
 * `cmd/object-api-utils.go`).
 *
 * Stored: every ETag computed for an encrypted write (single-part object, copy destination, multipart part) is
 * sealed under the object key, 96 hex digits (`PutObjReader.MD5CurrentHexString` with `sealETagFn`), so
 * DATA_DIR never holds the plaintext MD5. The sealed value is the MD5, or 16 random bytes where MinIO forces a
 * UUID ETag (SSE-KMS and SSE-C writes without Content-MD5). A completed multipart object keeps MinIO's
 * `md5(part ETags)-N`, stored as is.
 *
 * Shown: SSE-S3 ETags are unsealed back to the MD5 (`DecryptETag` / `tryDecryptETag` with sses3); SSE-KMS and
 * SSE-C ETags show their last 32 hex digits (`ETag.Format`, `tryDecryptETag` without sses3). `-N` ETags and
 * ETags stored before sealing (32 hex digits) are shown unchanged.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { S3_ERRORS } from '../api/errors.js'
import { DareError } from './dare.js'
import type { SseDomain } from './object-key.js'
import { sealETag, unsealETag } from './object-key.js'

/**
 * isSealedETag tells whether a stored ETag is sealed: hex of at least 32 bytes (MinIO `ETag.IsEncrypted`).
 * A `-N` multipart ETag or a 32-digit MD5 is not. Throws nothing.
 */
function isSealedETag(etag: string): boolean {
  return etag.length >= 64 && etag.length % 2 === 0 && /^[0-9a-f]+$/.test(etag)
}

/**
 * sealedETag returns the ETag to store for an encrypted write: hex of the MD5 (or, when `random`, of 16
 * random bytes as MinIO's UUID ETag) sealed under the object key (or part's object key). Throws nothing.
 */
export function sealedETag(objectKey: Buffer, md5Hex: string, random: boolean): string {
  return sealETag(objectKey, random ? randomBytes(16) : Buffer.from(md5Hex, 'hex')).toString('hex')
}

/**
 * needsObjectKey tells whether showing a stored ETag of this kind needs the object key (an SSE-S3 sealed
 * ETag, which is shown as the plaintext MD5). Throws nothing.
 */
export function needsObjectKey(kind: SseDomain, stored: string): boolean {
  return kind === 'SSE-S3' && isSealedETag(stored)
}

/**
 * clientETag returns the ETag a client sees for a stored one. `objectKey` is required when
 * {@link needsObjectKey} says so. Throws S3Error InternalError (objectTampered) when a sealed SSE-S3 ETag does
 * not open: the sealed value is never shown as an ETag.
 */
export function clientETag(kind: SseDomain, stored: string, objectKey?: Buffer): string {
  if (!isSealedETag(stored)) return stored
  if (kind !== 'SSE-S3') return stored.slice(-32)
  if (objectKey === undefined) throw S3_ERRORS.objectTampered()
  try {
    const md5 = unsealETag(objectKey, Buffer.from(stored, 'hex'))
    if (md5.length !== 16) throw S3_ERRORS.objectTampered()
    return md5.toString('hex')
  } catch (err) {
    if (err instanceof DareError) throw S3_ERRORS.objectTampered()
    throw err
  }
}
