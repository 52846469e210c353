/**
 * SigV2 string to sign (AWS "Signing and authenticating REST requests"): the positional Content-MD5,
 * Content-Type and Date (or Expires) lines, the canonicalized x-amz-* headers and the canonicalized resource
 * with its sub-resources; the signature is base64(HMAC-SHA1(secret, string to sign)).
 *
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'

/**
 * The sub-resources MinIO puts into the canonicalized resource (cmd/signature-v2.go), sorted. Query parameters
 * not listed here are not signed under SigV2.
 */
export const MINIO_SUBRESOURCES: readonly string[] = [
  'acl', 'cors', 'delete', 'encryption', 'legal-hold', 'lifecycle', 'location', 'logging', 'notification',
  'partNumber', 'policy', 'requestPayment', 'response-cache-control', 'response-content-disposition',
  'response-content-encoding', 'response-content-language', 'response-content-type', 'response-expires',
  'retention', 'select', 'select-type', 'tagging', 'torrent', 'uploadId', 'uploads', 'versionId', 'versioning',
  'versions', 'website',
]

/**
 * The sub-resources the AWS SDKs (botocore's HmacV1Auth) sign. They differ from MinIO's list in a few names
 * (botocore signs `object-lock` but not `encryption`). A request is checked against each list that signs every
 * sub-resource it carries (verify.ts), so one of those names is signed whichever client sent it.
 */
export const SDK_SUBRESOURCES: readonly string[] = [
  'accelerate', 'acl', 'analytics', 'cors', 'defaultObjectAcl', 'delete', 'inventory', 'lifecycle', 'location',
  'logging', 'metrics', 'notification', 'object-lock', 'partNumber', 'policy', 'replication', 'requestPayment',
  'response-cache-control', 'response-content-disposition', 'response-content-encoding',
  'response-content-language', 'response-content-type', 'response-expires', 'restore', 'select', 'select-type',
  'storageClass', 'tagging', 'torrent', 'uploadId', 'uploads', 'versionId', 'versioning', 'versions', 'website',
]

/**
 * canonicalAmzHeaders renders the x-amz-* headers (lower-case names, sorted, values trimmed, repeated values
 * joined by ','), each line ending in '\n'; '' when there are none.
 */
export function canonicalAmzHeaders(headers: IncomingHttpHeaders): string {
  const values = new Map<string, string[]>()
  for (const [name, raw] of Object.entries(headers)) {
    const lower = name.toLowerCase()
    if (!lower.startsWith('x-amz-') || raw === undefined) continue
    values.set(lower, [...values.get(lower) ?? [], ...(Array.isArray(raw) ? raw : [raw]).map((v) => v.trim())])
  }
  return [...values.keys()].sort().map((name) => `${name}:${values.get(name)!.join(',')}\n`).join('')
}

/**
 * canonicalResource appends to the (still percent-encoded) resource path the listed sub-resources present in
 * the query, in the list's order, as `name` or `name=value` with the value decoded.
 */
export function canonicalResource(encodedPath: string, query: Array<[string, string]>, subresources: readonly string[]): string {
  const values = new Map(query)
  const parts: string[] = []
  for (const name of subresources) {
    const value = values.get(name)
    if (value === undefined) continue
    parts.push(value === '' ? name : `${name}=${value}`)
  }
  return parts.length === 0 ? encodedPath : `${encodedPath}?${parts.join('&')}`
}

/** The request elements SigV2 signs. */
export interface StringToSignInput {
  method: string
  contentMd5: string
  contentType: string
  /** The Date header (header auth; '' when x-amz-date stands in for it) or the Expires value (presigned). */
  date: string
  amzHeaders: string
  resource: string
}

/** stringToSignV2 assembles the SigV2 string to sign. */
export function stringToSignV2(i: StringToSignInput): string {
  return `${i.method}\n${i.contentMd5}\n${i.contentType}\n${i.date}\n${i.amzHeaders}${i.resource}`
}

/** signV2 computes base64(HMAC-SHA1(secret, stringToSign)). */
export function signV2(secret: string, stringToSign: string): Buffer {
  return createHmac('sha1', secret).update(stringToSign, 'utf8').digest()
}

/**
 * sameSignatureV2 compares a computed HMAC with the client's base64 signature in constant time (over the
 * decoded bytes, since base64 text is not unique); false for anything that is not 20 bytes of base64.
 */
export function sameSignatureV2(expected: Buffer, given: string): boolean {
  if (!/^[A-Za-z0-9+/]{27}=$/.test(given)) return false
  return timingSafeEqual(expected, Buffer.from(given, 'base64'))
}
