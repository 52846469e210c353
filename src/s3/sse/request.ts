/**
 * Classification and validation of SSE request headers as MinIO does it (`internal/crypto/sse-*.go`):
 * SSE-S3 (`AES256`), SSE-KMS (`aws:kms`, key id with or without `arn:aws:kms:`, optional context) and
 * SSE-C (customer key, TLS only).
 *
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { S3_ERRORS, s3err } from '../api/errors.js'
import { isValidName } from '../../kms/api/validate.js'
import type { KmsContext } from '../kms/context.js'

/** ARN_PREFIX is stripped from SSE-KMS key ids and added back in responses. */
export const ARN_PREFIX = 'arn:aws:kms:'

/** The header names involved. */
const H = {
  sse: 'x-amz-server-side-encryption',
  kmsKeyId: 'x-amz-server-side-encryption-aws-kms-key-id',
  kmsContext: 'x-amz-server-side-encryption-context',
  cAlgorithm: 'x-amz-server-side-encryption-customer-algorithm',
  cKey: 'x-amz-server-side-encryption-customer-key',
  cKeyMd5: 'x-amz-server-side-encryption-customer-key-md5',
  copyCAlgorithm: 'x-amz-copy-source-server-side-encryption-customer-algorithm',
  copyCKey: 'x-amz-copy-source-server-side-encryption-customer-key',
  copyCKeyMd5: 'x-amz-copy-source-server-side-encryption-customer-key-md5',
} as const

/** What a request asks for. */
export type SseRequest =
  | { kind: 'none' }
  | { kind: 'SSE-S3' }
  | { kind: 'SSE-KMS'; keyId: string; context?: KmsContext }
  | { kind: 'SSE-C'; key: Buffer; keyMd5: string }

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name]
  return Array.isArray(v) ? v[0] : v
}

/** isSseCRequested tells whether any SSE-C header (of the object, or of the copy source) is present. */
export function isSseCRequested(headers: IncomingHttpHeaders, copySource = false): boolean {
  const names = copySource ? [H.copyCAlgorithm, H.copyCKey, H.copyCKeyMd5] : [H.cAlgorithm, H.cKey, H.cKeyMd5]
  return names.some((n) => headers[n] !== undefined)
}

/** isSseS3Requested: `x-amz-server-side-encryption` is present and not `aws:kms`. */
export function isSseS3Requested(headers: IncomingHttpHeaders): boolean {
  const v = header(headers, H.sse)
  return v !== undefined && v.toLowerCase() !== 'aws:kms'
}

/** isSseKmsRequested: a KMS key id or context header, or `x-amz-server-side-encryption` other than AES256. */
export function isSseKmsRequested(headers: IncomingHttpHeaders): boolean {
  if (headers[H.kmsKeyId] !== undefined || headers[H.kmsContext] !== undefined) return true
  const v = header(headers, H.sse)
  return v !== undefined && v.toUpperCase() !== 'AES256'
}

/**
 * parseSseC validates customer-key headers (of the object or of the copy source). Throws S3Error
 * with MinIO's code and text for a missing/invalid algorithm, key or key MD5, or plain HTTP.
 */
export function parseSseC(headers: IncomingHttpHeaders, secure: boolean, copySource = false): { key: Buffer; keyMd5: string } {
  if (!secure) throw S3_ERRORS.insecureSseCustomerRequest()
  const [alg, key, md5] = copySource ? [H.copyCAlgorithm, H.copyCKey, H.copyCKeyMd5] : [H.cAlgorithm, H.cKey, H.cKeyMd5]
  if (header(headers, alg) !== 'AES256') throw S3_ERRORS.invalidSseCustomerAlgorithm()
  const keyB64 = header(headers, key) ?? ''
  const md5B64 = header(headers, md5) ?? ''
  if (keyB64 === '') throw S3_ERRORS.missingSseCustomerKey()
  if (md5B64 === '') throw S3_ERRORS.missingSseCustomerKeyMd5()
  const clientKey = decodeStdBase64(keyB64)
  if (clientKey === undefined || clientKey.length !== 32) throw S3_ERRORS.invalidSseCustomerKey()
  const given = decodeStdBase64(md5B64)
  const sum = createHash('md5').update(clientKey).digest()
  if (given === undefined || given.length !== sum.length || !timingSafeEqual(given, sum)) throw S3_ERRORS.sseCustomerKeyMd5Mismatch()
  return { key: clientKey, keyMd5: sum.toString('base64') }
}

function decodeStdBase64(s: string): Buffer | undefined {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s)) return undefined
  return Buffer.from(s, 'base64')
}

/**
 * parseKmsContext decodes the base64 JSON string map of `x-amz-server-side-encryption-context`. Every pair is
 * kept, whatever its name (`__proto__`, `constructor`, …): the data key is bound to all of them, and they are
 * stored and answered whole. Throws S3Error InvalidArgument.
 */
export function parseKmsContext(b64: string): KmsContext {
  const raw = decodeStdBase64(b64)
  let parsed: unknown
  try {
    parsed = raw === undefined ? undefined : JSON.parse(raw.toString('utf8'))
  } catch {
    parsed = undefined
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw s3err('InvalidArgument')
  // No prototype: on a plain `{}`, assigning the key `__proto__` would call Object.prototype's setter (which
  // ignores a string) instead of adding the pair, and the context the key is bound to would silently lack it.
  const out: Record<string, string> = Object.create(null) as Record<string, string>
  for (const [k, v] of Object.entries(parsed)) {
    if (typeof v !== 'string') throw s3err('InvalidArgument')
    out[wellFormed(k)] = wellFormed(v)
  }
  return out
}

// A lone surrogate (from a JSON `\ud800` escape) would marshal as `\ufffd` at generate time but as a
// raw U+FFFD after the stored context is read back; normalising it first keeps both byte-identical.
function wellFormed(s: string): string {
  return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
}

/**
 * parseKmsKeyId strips `arn:aws:kms:`; an empty id means the default key. Throws S3Error
 * InvalidRequest "The specified KMS KeyID contains unsupported characters" for leading or trailing
 * spaces (MinIO's check) and for any id that is not a KES key name.
 */
function parseKmsKeyId(raw: string): string {
  if (raw.startsWith(' ') || raw.endsWith(' ')) throw S3_ERRORS.invalidEncryptionKeyId()
  const id = raw.startsWith(ARN_PREFIX) ? raw.slice(ARN_PREFIX.length) : raw
  // MinIO hands such an id to KES, which refuses it, and answers 500 kms:KeyGenerationFailed; checking it
  // here gives the client MinIO's own 400 for a bad key id and spares the KMS the call.
  if (id !== '' && !isValidName(id)) throw S3_ERRORS.invalidEncryptionKeyId()
  return id
}

/**
 * checkCompatible refuses a request that asks for SSE-C together with SSE-S3 or SSE-KMS: on PutObject,
 * CopyObject and CreateMultipartUpload (through {@link classifyWrite}), and on UploadPart and
 * UploadPartCopy, whose part is encrypted as its upload says and would otherwise silently ignore what the
 * request asked for. Throws S3Error InvalidArgument "Server Side Encryption with Customer provided key is
 * incompatible with the encryption method specified" (MinIO's ErrIncompatibleEncryptionMethod).
 */
export function checkCompatible(headers: IncomingHttpHeaders): void {
  if (isSseCRequested(headers) && (isSseS3Requested(headers) || isSseKmsRequested(headers))) throw S3_ERRORS.incompatibleEncryptionMethod()
}

/**
 * classifyWrite reads the SSE headers of a write (PUT, copy destination, CreateMultipartUpload).
 * Throws S3Error with MinIO's code and text for every invalid combination.
 */
export function classifyWrite(headers: IncomingHttpHeaders, secure: boolean): SseRequest {
  checkCompatible(headers)
  const s3 = isSseS3Requested(headers)
  const kms = isSseKmsRequested(headers)
  if (isSseCRequested(headers)) return { kind: 'SSE-C', ...parseSseC(headers, secure) }
  if (s3) {
    if (header(headers, H.sse) !== 'AES256') throw S3_ERRORS.invalidEncryptionMethod()
    if (headers[H.kmsKeyId] !== undefined || headers[H.kmsContext] !== undefined) throw S3_ERRORS.invalidEncryptionMethod()
    return { kind: 'SSE-S3' }
  }
  if (kms) {
    if (header(headers, H.sse) !== 'aws:kms') throw S3_ERRORS.invalidEncryptionMethod()
    const keyId = parseKmsKeyId(header(headers, H.kmsKeyId) ?? '')
    const ctx = header(headers, H.kmsContext)
    return ctx === undefined ? { kind: 'SSE-KMS', keyId } : { kind: 'SSE-KMS', keyId, context: parseKmsContext(ctx) }
  }
  return { kind: 'none' }
}

/**
 * checkReadHeaders refuses SSE-S3/SSE-KMS headers on GET/HEAD, as MinIO does. Throws S3Error
 * InvalidRequest "The encryption parameters are not applicable to this object.".
 */
export function checkReadHeaders(headers: IncomingHttpHeaders): void {
  if (isSseS3Requested(headers) || isSseKmsRequested(headers)) throw S3_ERRORS.invalidEncryptionParameters()
}
