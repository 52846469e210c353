/**
 * SigV2 verification (AWS "Signing and authenticating REST requests"; MinIO cmd/signature-v2.go): the
 * `Authorization: AWS <AccessKeyId>:<Signature>` header and presigned URLs
 * (`?AWSAccessKeyId=…&Expires=…&Signature=…`). The signature covers no payload hash: a body is checked only
 * against a signed Content-MD5 or x-amz-content-sha256, by the body readers.
 *
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http'
import { s3err } from '../../api/errors.js'
import type { Credential } from '../../extensions.js'
import { headerText } from '../header-text.js'
import { lookupCredential } from '../sigv4/credential.js'
import type { SigRequest, SignedRequest, VerifyOptions } from '../signed-request.js'
import {
  MINIO_SUBRESOURCES, SDK_SUBRESOURCES, canonicalAmzHeaders, canonicalResource, sameSignatureV2, signV2,
  stringToSignV2,
} from './canonical.js'

const QUERY_FIELDS = new Set(['AWSAccessKeyId', 'Signature', 'Expires'])

/** isSigV2 tells whether a request is signed with SigV2 (an `AWS …` Authorization header, or AWSAccessKeyId in the query). */
export function isSigV2(req: SigRequest): boolean {
  const auth = first(req.headers, 'authorization')
  if (auth !== undefined) return auth.startsWith('AWS') && !auth.startsWith('AWS4-HMAC-SHA256')
  return req.query.some(([k]) => k === 'AWSAccessKeyId')
}

/**
 * verifySignatureV2 checks a SigV2 header or presigned request and returns who signed it. Throws S3Error:
 * MissingFields (malformed header), AuthorizationQueryParametersError (missing or malformed query fields),
 * AccessDenied (no valid date; presigned URL expired), RequestTimeTooSkewed, InvalidAccessKeyId,
 * SignatureDoesNotMatch, InvalidRequest (SigV4 streaming payload under a SigV2 signature), ServiceUnavailable.
 */
export async function verifySignatureV2(req: SigRequest, opts: VerifyOptions): Promise<SignedRequest> {
  const presigned = first(req.headers, 'authorization') === undefined
  const parsed = presigned ? parsePresigned(req) : parseHeader(req)
  const credential = await lookupCredential(opts.credentials, parsed.accessKey)
  const now = opts.now ?? Date.now()
  if (presigned) {
    if (!/^\d{1,12}$/.test(parsed.expires)) throw s3err('AuthorizationQueryParametersError', 'X-Amz-Expires should be a number')
    if (Number(parsed.expires) * 1000 < now) throw s3err('AccessDenied', 'Request has expired')
  } else {
    checkTimestamp(req.headers, now, opts.maxSkewMs)
  }
  const payloadHash = first(req.headers, 'x-amz-content-sha256') ?? 'UNSIGNED-PAYLOAD'
  // Chunk signatures chain from a SigV4 seed; a SigV2 request has none to chain from.
  if (payloadHash.startsWith('STREAMING-AWS4-')) {
    throw s3err('InvalidRequest', 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.')
  }
  if (!candidates(req, opts, presigned, parsed.expires).some((s) => sameSignatureV2(signV2(credential.secretKey, s), parsed.signature))) {
    throw s3err('SignatureDoesNotMatch')
  }
  return signedV2(credential, payloadHash, parsed.signature, presigned)
}

function signedV2(credential: Credential, payloadHash: string, signature: string, presigned: boolean): SignedRequest {
  return { credential, payloadHash, seedSignature: signature, amzDate: '', scope: '', key: Buffer.alloc(0), presigned, version: 2 }
}

interface ParsedV2 {
  accessKey: string
  signature: string
  /** The Expires query value (presigned only). */
  expires: string
}

function parseHeader(req: SigRequest): ParsedV2 {
  // MinIO's shape check: "AWS" SP AccessKeyId ":" Signature, with exactly one space and one colon.
  const fields = (first(req.headers, 'authorization') ?? '').split(' ')
  const keySig = fields.length === 2 ? fields[1]!.trim().split(':') : []
  if (fields[0] !== 'AWS' || keySig.length !== 2 || keySig[0] === '') {
    throw s3err('MissingFields')
  }
  return { accessKey: keySig[0]!, signature: keySig[1]!, expires: '' }
}

function parsePresigned(req: SigRequest): ParsedV2 {
  const q = new Map(req.query)
  const accessKey = q.get('AWSAccessKeyId') ?? ''
  const signature = q.get('Signature') ?? ''
  const expires = q.get('Expires') ?? ''
  if (accessKey === '' || signature === '' || expires === '') {
    // MinIO answers a SigV2 URL missing a field with its (SigV4-worded) ErrInvalidQueryParams.
    throw s3err('AuthorizationQueryParametersError',
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.')
  }
  return { accessKey, signature, expires }
}

/**
 * checkTimestamp enforces AWS's SigV2 time stamp rule (MinIO skips it): x-amz-date, else Date, must parse and
 * lie within the allowed skew, so a captured header-signed request cannot be replayed indefinitely.
 */
function checkTimestamp(headers: IncomingHttpHeaders, now: number, maxSkewMs: number): void {
  const t = parseHttpDate(first(headers, 'x-amz-date') ?? first(headers, 'date'))
  if (t === undefined) throw s3err('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header')
  if (Math.abs(now - t) > maxSkewMs) throw s3err('RequestTimeTooSkewed')
}

function parseHttpDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const iso = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value)
  if (iso !== null) return Date.UTC(+iso[1]!, +iso[2]! - 1, +iso[3]!, +iso[4]!, +iso[5]!, +iso[6]!)
  const t = Date.parse(value)
  return Number.isNaN(t) ? undefined : t
}

/**
 * candidates lists the strings the client may have signed. Clients disagree on three points: which sub-resources
 * are signed (MinIO's list or the SDKs'), whether a bucket's path ends in '/', and whether the Date line is empty
 * when x-amz-date is sent (AWS's rule, and what MinIO's own check does not do). Every candidate binds the same
 * request to the same key; at most eight HMACs, usually one or two.
 */
function candidates(req: SigRequest, opts: VerifyOptions, presigned: boolean, expires: string): string[] {
  const query = presigned ? req.query.filter(([k]) => !QUERY_FIELDS.has(k)) : req.query
  const path = resourcePath(req, opts.domain)
  // botocore signs a path-style bucket request as /bucket/ (the virtual-host form) while it sends /bucket.
  const paths = /^\/[^/]+$/.test(path) ? [path, `${path}/`] : [path]
  const lists = [MINIO_SUBRESOURCES, SDK_SUBRESOURCES].filter((list) => signsEverySubresource(list, query))
  const resources = new Set(paths.flatMap((p) => lists.map((list) => canonicalResource(p, query, list))))
  const date = first(req.headers, 'date') ?? ''
  const dates = presigned ? [expires] : first(req.headers, 'x-amz-date') !== undefined ? ['', date] : [date]
  const base = {
    method: req.method, contentMd5: first(req.headers, 'content-md5') ?? '',
    contentType: headerText(first(req.headers, 'content-type') ?? ''), amzHeaders: canonicalAmzHeaders(amzHeadersOf(req, presigned)),
  }
  const out = new Set<string>()
  for (const resource of resources) for (const d of dates) out.add(stringToSignV2({ ...base, date: d, resource }))
  return [...out]
}

/**
 * Sub-resources the dispatcher routes on that neither list signs (GetBucketPolicyStatus, GetObjectAttributes):
 * a SigV2 signature can never cover them, so a request naming one is refused rather than served unsigned.
 */
const UNSIGNABLE_V2 = ['policyStatus', 'attributes']
const ANY_SUBRESOURCE = new Set([...MINIO_SUBRESOURCES, ...SDK_SUBRESOURCES, ...UNSIGNABLE_V2])

/**
 * signsEverySubresource tells whether a signature made with `list` covers every sub-resource the request names,
 * each exactly as it is served. A list that leaves one out cannot be the one signed: otherwise a parameter on the
 * other list only (`encryption`, `retention`, `object-lock`) could be appended to a captured request unsigned and
 * change the operation (a DeleteBucket into a DeleteBucketEncryption). SigV2 signs decoded `name=value` pairs
 * joined by `&`, so a value holding `&` could stand for two pairs (`response-content-type=a%26versionId%3Dv1`
 * signs like `response-content-type=a&versionId=v1`), and a name given twice is signed once: both are refused.
 */
function signsEverySubresource(list: readonly string[], query: ReadonlyArray<readonly [string, string]>): boolean {
  const seen = new Set<string>()
  for (const [name, value] of query) {
    if (!ANY_SUBRESOURCE.has(name)) continue
    if (!list.includes(name) || seen.has(name) || value.includes('&')) return false
    seen.add(name)
  }
  return true
}

/**
 * amzHeadersOf is the x-amz-* headers as the client signed them (non-ASCII values read as UTF-8, header-text.ts)
 * and, for presigned URLs, the x-amz-* query parameters the SDKs move out of the headers (already decoded text).
 */
function amzHeadersOf(req: SigRequest, presigned: boolean): IncomingHttpHeaders {
  const merged: IncomingHttpHeaders = {}
  for (const [name, raw] of Object.entries(req.headers)) {
    if (!name.startsWith('x-amz-') || raw === undefined) continue
    merged[name] = Array.isArray(raw) ? raw.map(headerText) : headerText(raw)
  }
  if (!presigned) return merged
  for (const [k, v] of req.query) {
    const lower = k.toLowerCase()
    if (lower.startsWith('x-amz-') && merged[lower] === undefined) merged[lower] = v
  }
  return merged
}

/** resourcePath is the path as sent, prefixed with /bucket for a virtual-host-style request. */
function resourcePath(req: SigRequest, domain: string | undefined): string {
  if (domain === undefined) return req.rawPath
  const host = (first(req.headers, 'host') ?? '').replace(/:\d+$/, '').toLowerCase()
  if (!host.endsWith(`.${domain}`)) return req.rawPath
  return `/${host.slice(0, -domain.length - 1)}${req.rawPath}`
}

function first(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name]
  return Array.isArray(v) ? v[0] : v
}
