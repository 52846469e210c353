/**
 * Server-wide CORS, as MinIO serves it by default (its `corsHandler`, github.com/rs/cors, configured by
 * `api cors_allow_origin` / MINIO_API_CORS_ALLOW_ORIGIN, default `*`): a browser preflight from an allowed
 * origin is answered before authentication, and every other answer to an allowed origin carries the headers
 * that let the page read it. Bucket-level CORS (PutBucketCors) is not implemented, as MinIO's is not.
 *
 * Why answering any origin is safe for signed requests: they are authenticated by their signature (an
 * Authorization header or a presigned URL), never by anything a browser adds by itself (cookies, HTTP auth, a
 * client certificate; keyhold-s3 uses none). A page on another origin can only do what the signed requests it
 * already holds allow, and CORS only lets it read the answers. Were an ambient credential ever accepted,
 * reflecting the origin with `Access-Control-Allow-Credentials: true` would hand it to every site: revisit this
 * then.
 *
 * Anonymous reads are different: a bucket policy may grant them by `aws:SourceIp`, and a browser inside that
 * network is then an ambient credential. With every origin answered, any web page an intranet user opens could
 * read such objects through the user's browser (found by a review). So by default (the variable unset) an
 * anonymous GET or HEAD gets no CORS headers, where MinIO's would: the browser keeps the answer from the page.
 * Setting MINIO_API_CORS_ALLOW_ORIGIN, `*` included, is the operator's statement that pages from those origins
 * may read what anonymous callers may, and answers them too.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { piecesMatch, type PatternPiece } from '../iam/policy/wildcard.js'
import { header } from './context.js'
import { s3err } from './errors.js'

/** The methods a preflight may ask for (rs/cors's list in MinIO). */
const ALLOWED_METHODS = new Set(['GET', 'PUT', 'HEAD', 'POST', 'DELETE', 'OPTIONS', 'PATCH'])

/**
 * The answer headers a page may read. MinIO's list, plus the `x-amz-*` headers S3 clients read by name:
 * browsers honour `*` only for requests without credentials, and `x-amz-meta-*` cannot be wildcarded.
 */
const EXPOSED_HEADERS = [
  'Date', 'ETag', 'Server', 'Connection', 'Accept-Ranges', 'Content-Range', 'Content-Encoding', 'Content-Length',
  'Content-Type', 'Content-Disposition', 'Last-Modified', 'Content-Language', 'Cache-Control', 'Retry-After',
  'Expires', 'x-amz-bucket-region', 'x-amz-request-id', 'x-amz-id-2', 'x-amz-version-id', 'x-amz-delete-marker',
  'x-amz-server-side-encryption', 'x-amz-server-side-encryption-aws-kms-key-id',
  'x-amz-server-side-encryption-context', 'x-amz-server-side-encryption-customer-algorithm',
  'x-amz-server-side-encryption-customer-key-md5', 'x-amz-checksum-crc32', 'x-amz-checksum-crc32c',
  'x-amz-checksum-crc64nvme', 'x-amz-checksum-sha1', 'x-amz-checksum-sha256', 'x-amz-checksum-type',
  'x-amz-mp-parts-count', 'x-amz-tagging-count', 'x-amz-expiration', 'x-amz-storage-class',
  'x-amz-object-lock-mode', 'x-amz-object-lock-retain-until-date', 'x-amz-object-lock-legal-hold',
  'x-amz-copy-source-version-id', 'x-amz-website-redirect-location', 'x-amz-missing-meta', '*',
].join(', ')

/** An HTTP token (RFC 9110): what a requested header name must be to be echoed back. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/** Every origin: the default, for signed requests (see the module comment). */
const ALL_ORIGINS: readonly string[] = Object.freeze(['*'])

/** A presigned URL's signature, SigV4 or SigV2: the request is signed although it carries no Authorization. */
const PRESIGNED = /[?&](?:X-Amz-Signature|Signature)=/

/**
 * parseCorsAllowOrigin reads MINIO_API_CORS_ALLOW_ORIGIN: a comma-separated list of origins, each possibly
 * with `*` wildcards (`https://*.example.com`); undefined when unset or blank (the default: every origin, signed
 * requests only). Throws Error for an entry with spaces or control characters (most likely a list separated by
 * spaces instead of commas).
 */
export function parseCorsAllowOrigin(raw: string | undefined): readonly string[] | undefined {
  const entries = (raw ?? '').split(',').map((e) => e.trim()).filter((e) => e !== '')
  if (entries.length === 0) return undefined
  for (const entry of entries) {
    if (!/^[\x21-\x7e]+$/.test(entry)) {
      const shown = entry.slice(0, 64).replace(/[^\x20-\x7e]/g, '?')
      throw new Error(`invalid MINIO_API_CORS_ALLOW_ORIGIN entry '${shown}': separate origins with commas, e.g. https://a.example,https://*.b.example`)
    }
  }
  return Object.freeze(entries)
}

/**
 * originPattern reads an allowed-origin entry as the IAM matcher's pieces: `*` stands for any run of characters,
 * and a `?` is itself (rs/cors, MinIO's, knows no other wildcard). Compared in lower case. Throws nothing.
 */
function originPattern(entry: string): PatternPiece[] {
  return entry.toLowerCase().split('?').flatMap((glob, i): PatternPiece[] => (i === 0 ? [{ glob }] : [{ literal: '?' }, { glob }]))
}

/**
 * CorsPolicy applies the server-wide CORS of one list of allowed origins. Its methods throw nothing but
 * answerPreflight's refusal.
 */
export class CorsPolicy {
  readonly #allowOrigins: ReadonlyArray<readonly PatternPiece[]>
  /** Whether anonymous reads are answered too: only when the operator named the origins. */
  readonly #anonymousReads: boolean

  /** `allowOrigins` as MINIO_API_CORS_ALLOW_ORIGIN lists them; undefined for the default (see the module comment). */
  constructor(allowOrigins?: readonly string[]) {
    this.#allowOrigins = (allowOrigins ?? ALL_ORIGINS).map(originPattern)
    this.#anonymousReads = allowOrigins !== undefined
  }

  /** allows tells whether a page from `origin` may read the answers. */
  allows(origin: string): boolean {
    const text = origin.toLowerCase()
    return this.#allowOrigins.some((pattern) => piecesMatch(pattern, text))
  }

  /** isPreflight tells whether `req` is a browser's preflight: OPTIONS with Origin and Access-Control-Request-Method. */
  isPreflight(req: IncomingMessage): boolean {
    return req.method === 'OPTIONS' && header(req, 'origin') !== undefined && header(req, 'access-control-request-method') !== undefined
  }

  /**
   * answerPreflight answers a preflight, without authentication (a browser sends none with it) and without
   * touching any bucket or object: 204 with the Access-Control-Allow-* headers when the origin, method and
   * headers are allowed. Throws S3Error AccessForbidden (403, as S3 refuses a preflight) otherwise, with no CORS
   * header set, so the browser refuses the request it asked about.
   */
  answerPreflight(req: IncomingMessage, res: ServerResponse): void {
    const origin = header(req, 'origin') ?? ''
    const method = (header(req, 'access-control-request-method') ?? '').trim().toUpperCase()
    const requested = (header(req, 'access-control-request-headers') ?? '').split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '')
    res.setHeader('vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers')
    if (!this.allows(origin) || !ALLOWED_METHODS.has(method) || !requested.every((h) => TOKEN.test(h))) {
      throw s3err('AccessForbidden')
    }
    res.setHeader('access-control-allow-origin', origin)
    res.setHeader('access-control-allow-methods', method)
    if (requested.length > 0) res.setHeader('access-control-allow-headers', requested.join(', '))
    res.setHeader('access-control-allow-credentials', 'true')
    res.statusCode = 204
    res.end()
  }

  /**
   * annotate adds the CORS headers of an actual request to its answer, whatever that answer turns out to be
   * (an S3 error too, so the page can read why): set before any handler runs, they stay unless one removes them.
   * Nothing but `Vary: Origin` without an Origin, for an origin not allowed, or, by default, for an anonymous
   * read.
   */
  annotate(req: IncomingMessage, res: ServerResponse): void {
    res.setHeader('vary', 'Origin')
    const origin = header(req, 'origin')
    if (origin === undefined || !this.allows(origin)) return
    if (!this.#anonymousReads && isAnonymousRead(req)) return
    res.setHeader('access-control-allow-origin', origin)
    res.setHeader('access-control-allow-credentials', 'true')
    res.setHeader('access-control-expose-headers', EXPOSED_HEADERS)
  }
}

/** isAnonymousRead tells a GET or HEAD carrying no signature, neither an Authorization header nor a presigned one. */
function isAnonymousRead(req: IncomingMessage): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false
  return req.headers.authorization === undefined && !PRESIGNED.test(req.url ?? '')
}
