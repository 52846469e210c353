/**
 * SigV4 verification of a request's headers or presigned query (AWS "Authenticating Requests (AWS Signature
 * Version 4)"). The payload itself is checked later, by the body readers, against {@link SignedRequest.payloadHash}.
 * {@link verifySignature} is the one entry point for every signature version: SigV2 requests are handed to
 * ../sigv2/verify.ts, so both yield the same {@link SignedRequest} and go through the same access control.
 *
 * @module
 */
import { timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { s3err } from '../../api/errors.js'
import type { Credential } from '../../extensions.js'
import { isSigV2, verifySignatureV2 } from '../sigv2/verify.js'
import {
  awsEncode, canonicalHeaders, canonicalQuery, canonicalRequest, hmac, safeDecode, signingKey, stringToSign,
} from './canonical.js'
import type { SigRequest, SignedRequest, VerifyOptions } from '../signed-request.js'
import { lookupCredential } from './credential.js'

export type { SigRequest, SignedRequest, VerifyOptions } from '../signed-request.js'

const MAX_PRESIGN_SECONDS = 7 * 24 * 3600

const QUERY_AUTH = new Set(['X-Amz-Signature', 'X-Amz-Credential', 'AWSAccessKeyId'])

/** isAnonymous tells whether a request carries no SigV4 or SigV2 authentication at all. */
export function isAnonymous(req: SigRequest): boolean {
  return req.headers.authorization === undefined && !req.query.some(([k]) => QUERY_AUTH.has(k))
}

/**
 * verifySignature checks a signed request (SigV4, or SigV2 via {@link verifySignatureV2}) and returns who signed
 * it. Throws S3Error: AccessDenied (unsupported scheme, expired presigned URL, an `x-amz-*` header left unsigned),
 * AuthorizationHeaderMalformed,
 * AuthorizationQueryParametersError, RequestTimeTooSkewed, InvalidAccessKeyId, SignatureDoesNotMatch,
 * ServiceUnavailable, and for SigV2 also MissingFields and InvalidRequest.
 */
export async function verifySignature(req: SigRequest, opts: VerifyOptions): Promise<SignedRequest> {
  if (isSigV2(req)) return verifySignatureV2(req, opts)
  const presigned = req.headers.authorization === undefined
  const parsed = presigned ? parsePresigned(req) : parseHeader(req)
  const now = opts.now ?? Date.now()
  const t = parseAmzDate(parsed.amzDate)
  if (presigned) {
    if (t - opts.maxSkewMs > now) throw s3err('AccessDenied', 'Request is not valid yet')
    if (now > t + parsed.expires * 1000) throw s3err('AccessDenied', 'Request has expired')
  } else if (Math.abs(now - t) > opts.maxSkewMs) {
    throw s3err('RequestTimeTooSkewed')
  }
  const [accessKey, date, region, service, terminal] = parsed.credential
  // MinIO serves STS (AssumeRole, ...) at the same address; clients then sign for `sts`. Say plainly that it is
  // not served here, rather than that their credential scope is malformed.
  if (service === 'sts' && terminal === 'aws4_request') {
    throw s3err('NotImplemented', 'The STS API (AssumeRole and the like) is not served: use an access key or a service account.')
  }
  if (date !== parsed.amzDate.slice(0, 8) || service !== 's3' || terminal !== 'aws4_request') {
    throw s3err(presigned ? 'AuthorizationQueryParametersError' : 'AuthorizationHeaderMalformed',
      'The authorization header is malformed; the credential scope is invalid.')
  }
  if (opts.region !== '' && region !== opts.region) {
    throw s3err('AuthorizationHeaderMalformed',
      `The authorization header is malformed; the region '${region}' is wrong; expecting '${opts.region}'`,
      { Region: opts.region })
  }
  const credential: Credential = await lookupCredential(opts.credentials, accessKey)
  if (!parsed.signedHeaders.includes('host')) throw s3err('AccessDenied', 'Host header is not signed.')
  const scope = `${date}/${region}/${service}/aws4_request`
  const uri = awsEncode(safeDecode(req.rawPath), true)
  const canonical = canonicalRequest(
    req.method, uri, canonicalQuery(req.query, presigned ? 'X-Amz-Signature' : undefined),
    canonicalHeaders(req.headers, parsed.signedHeaders), parsed.signedHeaders, parsed.payloadHash,
  )
  const key = signingKey(credential.secretKey, date, region, service)
  const expected = hmac(key, stringToSign(parsed.amzDate, scope, canonical))
  if (!sameHex(expected, parsed.signature)) throw s3err('SignatureDoesNotMatch')
  refuseUnsignedAmzHeaders(req.headers, parsed.signedHeaders, presigned)
  return {
    credential, payloadHash: parsed.payloadHash, seedSignature: parsed.signature, amzDate: parsed.amzDate,
    scope, key, presigned, version: 4,
  }
}

/**
 * Headers bound by the signature without being listed in SignedHeaders: the payload hash is a line of the
 * canonical request, and a header-signed request's date is in the string to sign.
 */
const BOUND_UNLISTED = new Set(['x-amz-content-sha256'])
const BOUND_UNLISTED_HEADER_AUTH = new Set(['x-amz-content-sha256', 'x-amz-date'])

/**
 * refuseUnsignedAmzHeaders refuses a request that carries an `x-amz-*` header its signature does not cover, as
 * AWS does. Such headers change what a request does (x-amz-copy-source turns a PUT into a copy, SSE-C headers,
 * tags, object lock, governance bypass), so whoever holds a presigned URL, or replays a signed request, could
 * otherwise add them. Throws S3Error AccessDenied naming the headers (HeadersNotSigned).
 */
function refuseUnsignedAmzHeaders(headers: IncomingHttpHeaders, signedHeaders: readonly string[], presigned: boolean): void {
  const bound = presigned ? BOUND_UNLISTED : BOUND_UNLISTED_HEADER_AUTH
  const unsigned = Object.keys(headers).filter((h) => h.startsWith('x-amz-') && !bound.has(h) && !signedHeaders.includes(h))
  if (unsigned.length === 0) return
  throw s3err('AccessDenied', 'There were headers present in the request which were not signed', { HeadersNotSigned: unsigned.join(', ') })
}

/** sameHex compares a computed MAC with a hex string from the client in constant time. */
export function sameHex(expected: Buffer, givenHex: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(givenHex)) return false
  return timingSafeEqual(expected, Buffer.from(givenHex, 'hex'))
}

/** The x-amz-content-sha256 values S3 documents besides a hex SHA-256. */
const PAYLOAD_HASH_SPECIALS = [
  'UNSIGNED-PAYLOAD', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD',
  'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER',
]

/**
 * checkPayloadHash refuses an x-amz-content-sha256 that is neither a hex SHA-256 nor a documented special value,
 * on every signed request (a GET's hash is never compared with a body, so it is checked here). Throws S3Error
 * InvalidArgument with AWS's text, ArgumentName and ArgumentValue.
 */
export function checkPayloadHash(value: string): void {
  if (/^[0-9a-f]{64}$/.test(value) || PAYLOAD_HASH_SPECIALS.includes(value)) return
  throw s3err('InvalidArgument', `x-amz-content-sha256 must be ${PAYLOAD_HASH_SPECIALS.join(', ')} or a valid sha256 value.`,
    { ArgumentName: 'x-amz-content-sha256', ArgumentValue: value })
}

interface Parsed {
  credential: [string, string, string, string, string]
  signedHeaders: string[]
  signature: string
  amzDate: string
  payloadHash: string
  expires: number
}

/** The SHA-256 of an empty body, hex. */
const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'

function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name]
  return Array.isArray(v) ? v[0] : v
}

function parseHeader(req: SigRequest): Parsed {
  const auth = header(req.headers, 'authorization') ?? ''
  if (!auth.startsWith('AWS4-HMAC-SHA256 ')) {
    throw s3err('AccessDenied', 'Unsupported authorization type; only AWS Signature Version 4 is supported.')
  }
  const fields = new Map<string, string>()
  for (const part of auth.slice(17).split(',')) {
    const eq = part.indexOf('=')
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim())
  }
  const cred = fields.get('Credential')
  const signed = fields.get('SignedHeaders')
  const signature = fields.get('Signature')
  const amzDate = header(req.headers, 'x-amz-date') ?? dateHeaderToAmz(header(req.headers, 'date'))
  if (cred === undefined || signed === undefined || signature === undefined || amzDate === undefined) {
    throw s3err('AuthorizationHeaderMalformed', 'The authorization header is malformed; missing fields.')
  }
  // Absent, the payload hash is the empty body's, as MinIO takes it (curl's --aws-sigv4 before 8.x and botocore's
  // generic SigV4Auth send none): a body is then checked against that hash and refused, so only an empty one passes.
  const payloadHash = header(req.headers, 'x-amz-content-sha256') ?? EMPTY_BODY_SHA256
  checkPayloadHash(payloadHash)
  return { credential: splitCredential(cred, false), signedHeaders: signed.split(';'), signature, amzDate, payloadHash, expires: 0 }
}

function parsePresigned(req: SigRequest): Parsed {
  const q = new Map(req.query)
  if (q.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') {
    throw s3err('AuthorizationQueryParametersError', 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"')
  }
  const cred = q.get('X-Amz-Credential')
  const signed = q.get('X-Amz-SignedHeaders')
  const signature = q.get('X-Amz-Signature')
  const amzDate = q.get('X-Amz-Date')
  const expiresRaw = q.get('X-Amz-Expires')
  if (cred === undefined || signed === undefined || signature === undefined || amzDate === undefined || expiresRaw === undefined) {
    throw s3err('AuthorizationQueryParametersError',
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.')
  }
  if (!/^\d+$/.test(expiresRaw)) throw s3err('AuthorizationQueryParametersError', 'X-Amz-Expires should be a number')
  const expires = Number(expiresRaw)
  if (expires < 1) throw s3err('AuthorizationQueryParametersError', 'X-Amz-Expires must be non-negative')
  if (expires > MAX_PRESIGN_SECONDS) {
    throw s3err('AuthorizationQueryParametersError', 'X-Amz-Expires must be less than a week (in seconds) that is 604800')
  }
  const payloadHash = q.get('X-Amz-Content-Sha256') ?? header(req.headers, 'x-amz-content-sha256') ?? 'UNSIGNED-PAYLOAD'
  checkPayloadHash(payloadHash)
  return { credential: splitCredential(cred, true), signedHeaders: signed.split(';'), signature, amzDate, payloadHash, expires }
}

function splitCredential(cred: string, presigned: boolean): [string, string, string, string, string] {
  const parts = cred.split('/')
  // The region may be empty: madmin-go signs with an empty location (accepted when no region is configured).
  if (parts.length !== 5 || parts.some((p, i) => p === '' && i !== 2)) {
    throw presigned ? s3err('AuthorizationQueryParametersError') : s3err('AuthorizationHeaderMalformed',
      'The authorization header is malformed; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".')
  }
  return parts as [string, string, string, string, string]
}

function dateHeaderToAmz(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  const t = Date.parse(value)
  if (Number.isNaN(t)) return undefined
  return new Date(t).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')
}

/** parseAmzDate parses `YYYYMMDDTHHMMSSZ`; throws S3Error AccessDenied when malformed. */
function parseAmzDate(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value)
  if (m === null) throw s3err('AccessDenied', 'X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'"')
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]))
}
