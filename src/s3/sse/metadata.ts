/**
 * The internal encryption metadata stored with an object, under MinIO's exact names
 * (`internal/crypto/metadata.go`), so that MinIO could read it. Binary values are standard base64.
 *
 * @module
 */
import { SEAL_ALGORITHM, type SseDomain } from './object-key.js'

/** MinIO's internal metadata keys. */
export const META = {
  sealAlgorithm: 'X-Minio-Internal-Server-Side-Encryption-Seal-Algorithm',
  iv: 'X-Minio-Internal-Server-Side-Encryption-Iv',
  s3SealedKey: 'X-Minio-Internal-Server-Side-Encryption-S3-Sealed-Key',
  kmsSealedKey: 'X-Minio-Internal-Server-Side-Encryption-Kms-Sealed-Key',
  ssecSealedKey: 'X-Minio-Internal-Server-Side-Encryption-Sealed-Key',
  kmsKeyId: 'X-Minio-Internal-Server-Side-Encryption-S3-Kms-Key-Id',
  kmsDataKey: 'X-Minio-Internal-Server-Side-Encryption-S3-Kms-Sealed-Key',
  context: 'X-Minio-Internal-Server-Side-Encryption-Context',
  multipart: 'X-Minio-Internal-Encrypted-Multipart',
  actualSize: 'X-Minio-Internal-actual-size',
} as const

/** The parsed encryption metadata of an object. */
export interface SseMetadata {
  kind: SseDomain
  iv: Buffer
  sealedKey: Buffer
  /** SSE-S3/SSE-KMS: the KMS key name and the KMS ciphertext of the data key. */
  keyId?: string
  dataKey?: Buffer
  /** SSE-KMS: base64 canonical JSON of the client-supplied context, as stored. */
  contextB64?: string
  multipart: boolean
}

/** MetadataError: the stored encryption metadata is missing or malformed (tampered or foreign). */
export class MetadataError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'MetadataError'
  }
}

/** toInternal renders metadata as MinIO's string map. Throws nothing. */
export function toInternal(m: SseMetadata): Record<string, string> {
  const out: Record<string, string> = {
    [META.sealAlgorithm]: SEAL_ALGORITHM,
    [META.iv]: m.iv.toString('base64'),
  }
  const sealed = m.sealedKey.toString('base64')
  if (m.kind === 'SSE-S3') out[META.s3SealedKey] = sealed
  else if (m.kind === 'SSE-KMS') out[META.kmsSealedKey] = sealed
  else out[META.ssecSealedKey] = sealed
  if (m.kind !== 'SSE-C') {
    out[META.kmsKeyId] = m.keyId ?? ''
    out[META.kmsDataKey] = (m.dataKey ?? Buffer.alloc(0)).toString('base64')
  }
  if (m.contextB64 !== undefined) out[META.context] = m.contextB64
  if (m.multipart) out[META.multipart] = ''
  return out
}

function b64(map: Record<string, unknown>, key: string, size?: number): Buffer {
  const v = map[key]
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw new MetadataError(`invalid ${key}`)
  const buf = Buffer.from(v, 'base64')
  if (size !== undefined && buf.length !== size) throw new MetadataError(`invalid ${key}`)
  return buf
}

/**
 * fromInternal parses stored metadata; the kind is decided as MinIO does (KMS, then S3, then SSE-C).
 * Returns undefined when the object is not encrypted. Throws MetadataError when it is malformed.
 */
export function fromInternal(internal: unknown): SseMetadata | undefined {
  if (internal === null || typeof internal !== 'object') return undefined
  const map = internal as Record<string, unknown>
  let kind: SseDomain
  if (map[META.kmsSealedKey] !== undefined) kind = 'SSE-KMS'
  else if (map[META.s3SealedKey] !== undefined) kind = 'SSE-S3'
  else if (map[META.ssecSealedKey] !== undefined) kind = 'SSE-C'
  else return undefined
  if (map[META.sealAlgorithm] !== SEAL_ALGORITHM) throw new MetadataError('unsupported seal algorithm')
  const sealedName = kind === 'SSE-KMS' ? META.kmsSealedKey : kind === 'SSE-S3' ? META.s3SealedKey : META.ssecSealedKey
  const m: SseMetadata = { kind, iv: b64(map, META.iv, 32), sealedKey: b64(map, sealedName, 64), multipart: map[META.multipart] !== undefined }
  if (kind !== 'SSE-C') {
    const keyId = map[META.kmsKeyId]
    if (typeof keyId !== 'string' || keyId === '') throw new MetadataError('missing KMS key id')
    m.keyId = keyId
    m.dataKey = b64(map, META.kmsDataKey)
    if (m.dataKey.length === 0) throw new MetadataError('missing KMS data key')
  }
  if (kind === 'SSE-KMS' && map[META.context] !== undefined) {
    b64(map, META.context)
    m.contextB64 = map[META.context] as string
  }
  return m
}
