/**
 * Obtaining an object's key: a fresh one sealed for a write (one KMS generate for SSE-S3/SSE-KMS),
 * or the stored one unsealed for a read (one KMS decrypt). Key bytes never leave these functions
 * except as return values, and never reach a log.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { S3_ERRORS, s3err, type S3Error } from '../api/errors.js'
import { marshalContext, objectContext, sseKmsContext, type KmsContext } from '../kms/context.js'
import type { Kms } from '../kms/kms.js'
import { KeyMismatchError, generateObjectKey, sealObjectKey, unsealObjectKey } from './object-key.js'
import { parseKmsContext, type SseRequest } from './request.js'
import type { SseMetadata } from './metadata.js'

/** An object key with the metadata that seals it. */
export interface SealedObjectKey {
  objectKey: Buffer
  metadata: SseMetadata
}

/**
 * newObjectKey creates and seals the key of a new object (or multipart upload). Throws S3Error:
 * NotImplemented when no KMS is configured, `kms:*` errors from the KMS (nothing is stored then).
 */
export async function newObjectKey(kms: Kms | undefined, req: Exclude<SseRequest, { kind: 'none' }>, bucket: string, object: string, multipart: boolean): Promise<SealedObjectKey> {
  const iv = randomBytes(32)
  if (req.kind === 'SSE-C') {
    const objectKey = generateObjectKey(req.key)
    return { objectKey, metadata: { kind: 'SSE-C', iv, sealedKey: sealObjectKey(objectKey, req.key, iv, 'SSE-C', bucket, object), multipart } }
  }
  if (kms === undefined) throw S3_ERRORS.kmsNotConfigured()
  const keyId = req.kind === 'SSE-KMS' && req.keyId !== '' ? req.keyId : kms.defaultKey
  const context = req.kind === 'SSE-KMS' ? sseKmsContext(bucket, object, req.context) : objectContext(bucket, object)
  const dataKey = await kms.generateKey(keyId, context)
  try {
    const objectKey = generateObjectKey(dataKey.plaintext)
    const sealedKey = sealObjectKey(objectKey, dataKey.plaintext, iv, req.kind, bucket, object)
    const metadata: SseMetadata = { kind: req.kind, iv, sealedKey, keyId: dataKey.keyId, dataKey: dataKey.ciphertext, multipart }
    if (req.kind === 'SSE-KMS' && req.context !== undefined) metadata.contextB64 = marshalContext(req.context).toString('base64')
    return { objectKey, metadata }
  } finally {
    dataKey.plaintext.fill(0)
  }
}

/**
 * openObjectKey unseals a stored object key. `customerKey` is the SSE-C key of the request.
 * Throws S3Error: AccessDenied for a wrong SSE-C key, `kms:*` errors when the KMS refuses or is
 * down, InternalError when the sealed key does not open (tampered metadata).
 */
export async function openObjectKey(kms: Kms | undefined, m: SseMetadata, bucket: string, object: string, customerKey?: Buffer): Promise<Buffer> {
  if (m.kind === 'SSE-C') {
    try {
      return unsealObjectKey(m.sealedKey, customerKey ?? Buffer.alloc(0), m.iv, 'SSE-C', bucket, object)
    } catch (err) {
      if (err instanceof KeyMismatchError) throw s3err('AccessDenied')
      throw err
    }
  }
  if (kms === undefined) throw S3_ERRORS.kmsNotConfigured()
  let context: KmsContext = objectContext(bucket, object)
  if (m.kind === 'SSE-KMS' && m.contextB64 !== undefined) {
    let client: KmsContext
    try {
      client = parseKmsContext(m.contextB64)
    } catch {
      throw S3_ERRORS.objectTampered()
    }
    context = sseKmsContext(bucket, object, client)
  }
  const extKey = await kms.decrypt(m.keyId ?? '', m.dataKey ?? Buffer.alloc(0), context).catch((err: S3Error) => {
    throw err.code === 'kms:InvalidCiphertextException' ? s3err('kms:InvalidCiphertextException') : err
  })
  try {
    return unsealObjectKey(m.sealedKey, extKey, m.iv, m.kind, bucket, object)
  } catch (err) {
    if (err instanceof KeyMismatchError) throw S3_ERRORS.objectTampered()
    throw err
  } finally {
    extKey.fill(0)
  }
}
