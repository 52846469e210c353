/**
 * The per-server core and the per-request context shared by the S3 handlers, and S3 error responses.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { TLSSocket } from 'node:tls'
import { S3Error, s3err } from './errors.js'
import type { Authorizer, CredentialProvider, ObjectCrypto, Principal, SubresourceHandler } from '../extensions.js'
import type { SignedRequest } from '../auth/sigv4/verify.js'
import type { BlobStore } from '../storage/blobs.js'
import type { MetaStore } from '../storage/meta.js'
import type { UploadStore } from '../storage/uploads.js'
import { escapeXml } from './xml.js'
import { drainUnreadBody, type LingerLimits } from './linger.js'
import { forgoContinue } from './expect-continue.js'
import { isStorageFull } from '../../lib/storage-full.js'
import type { MessageLog } from '../../lib/logger.js'

/** Core is everything the handlers share for one server. */
export interface Core {
  meta: MetaStore
  blobs: BlobStore
  uploads: UploadStore
  credentials: CredentialProvider
  authorizer: Authorizer
  crypto: ObjectCrypto | undefined
  subresources: Record<string, SubresourceHandler>
  region: string
  domain: string | undefined
  maxSkewMs: number
  /** Bounds on draining the body of a request answered before it was read. */
  linger: LingerLimits
  log: MessageLog
}

/** Ctx is one S3 request being served. */
export interface Ctx {
  core: Core
  req: IncomingMessage
  res: ServerResponse
  requestId: string
  method: string
  rawPath: string
  query: Map<string, string>
  queryPairs: Array<[string, string]>
  bucket: string | undefined
  key: string | undefined
  signed: SignedRequest | null
  principal: Principal | null
  secure: boolean
}

/** Where a request is addressed, as its context records it. */
export interface CtxTarget {
  requestId: string
  /** The path exactly as sent (still percent-encoded). */
  rawPath: string
  queryPairs: Array<[string, string]>
  bucket?: string
  key?: string
}

/**
 * newCtx makes the context of one request, not yet authenticated (`signed` and `principal` null): the one
 * constructor, for S3 dispatch and for the extra routes' authentication. Throws nothing.
 */
export function newCtx(core: Core, req: IncomingMessage, res: ServerResponse, target: CtxTarget): Ctx {
  return {
    core, req, res, requestId: target.requestId, method: req.method ?? 'GET', rawPath: target.rawPath,
    queryPairs: target.queryPairs, query: new Map(target.queryPairs), bucket: target.bucket, key: target.key,
    signed: null, principal: null, secure: isSecure(req),
  }
}

/** newRequestId makes an S3-style request id (16 upper-case hex characters). */
export function newRequestId(): string {
  return randomBytes(8).toString('hex').toUpperCase()
}

/** isSecure tells whether a request arrived over TLS. */
function isSecure(req: IncomingMessage): boolean {
  return (req.socket as TLSSocket).encrypted === true
}

/** header returns a request header's first value. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name]
  return Array.isArray(v) ? v[0] : v
}

/** resourceOf renders the Resource element of an error: /bucket/key. */
function resourceOf(ctx: Pick<Ctx, 'bucket' | 'key' | 'rawPath'>): string {
  if (ctx.bucket === undefined) return ctx.rawPath
  return ctx.key === undefined ? `/${ctx.bucket}` : `/${ctx.bucket}/${ctx.key}`
}

/** clientLeft tells a request whose client went away mid-body (Node's 'aborted' error) from a failure. */
function clientLeft(req: IncomingMessage, err: unknown): boolean {
  return req.destroyed && !req.complete && err instanceof Error && (err as NodeJS.ErrnoException).code === 'ECONNRESET'
}

/**
 * sendError answers an error as S3 XML (HEAD gets no body). A full file system (ENOSPC, EDQUOT, SQLITE_FULL)
 * is answered 507 XMinioStorageFull and logged at warn; other non-S3 errors are logged (message only) and
 * answered InternalError; S3 errors with status 500 are logged at warn. Never throws.
 */
export function sendError(ctx: Pick<Ctx, 'req' | 'res' | 'requestId' | 'bucket' | 'key' | 'rawPath' | 'core'>, err: unknown): void {
  let e: S3Error
  if (err instanceof S3Error) {
    e = err
    // A 500 is never the client's input: stored data that failed authentication (tampered or foreign), a KMS
    // that failed to decrypt. The operator needs to hear of it; the client only sees the catalogue text.
    if (e.status === 500) ctx.core.log.warn(`answered ${e.code} to request ${ctx.requestId} on ${resourceOf(ctx)}: ${e.message}`)
  } else if (clientLeft(ctx.req, err)) {
    // Not the server's failure and no one to answer: no "internal error" in the log.
    ctx.res.destroy()
    return
  } else if (isStorageFull(err)) {
    // Not a bug and not the client's fault: the operator must free space. The writers have already removed
    // what the refused write had begun (blobs abandoned, the transaction rolled back).
    ctx.core.log.warn(`answered XMinioStorageFull to request ${ctx.requestId} on ${resourceOf(ctx)}: ${err instanceof Error ? err.message : String(err)}`)
    e = s3err('XMinioStorageFull')
  } else {
    ctx.core.log.error(`internal error (request ${ctx.requestId}): ${err instanceof Error ? err.message : String(err)}`)
    e = s3err('InternalError')
  }
  const res = ctx.res
  if (res.headersSent) {
    res.destroy()
    return
  }
  const extra = Object.entries(e.extra).map(([k, v]) => `<${k}>${escapeXml(v)}</${k}>`).join('')
  const keyEl = ctx.key !== undefined ? `<Key>${escapeXml(ctx.key)}</Key>` : ''
  const bucketEl = ctx.bucket !== undefined ? `<BucketName>${escapeXml(ctx.bucket)}</BucketName>` : ''
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${e.code}</Code><Message>${escapeXml(e.message)}</Message>`
    + `${keyEl}${bucketEl}${extra}<Resource>${escapeXml(resourceOf(ctx))}</Resource><RequestId>${ctx.requestId}</RequestId>`
    + `<HostId>${ctx.requestId}</HostId></Error>`
  res.statusCode = e.status
  res.setHeader('content-type', 'application/xml')
  res.setHeader('x-amz-request-id', ctx.requestId)
  if (e.status === 503) res.setHeader('retry-after', '1')
  // The body of a refused upload may still be arriving: drain it (bounded) so the client, which may read only
  // once it has sent everything, gets this answer rather than a reset connection.
  // A client still waiting for `100 Continue` is not invited now: it learns its answer without sending.
  forgoContinue(ctx.req)
  if (!ctx.req.complete && res.getHeader('connection') !== 'close') drainUnreadBody(ctx.req, ctx.core.linger)
  if (ctx.req.method === 'HEAD' || e.status === 304) {
    res.end()
    return
  }
  res.setHeader('content-length', Buffer.byteLength(body))
  res.end(body)
}

/** sendXml answers 200 with an XML body. */
export function sendXml(ctx: Ctx, body: string, status = 200): void {
  ctx.res.statusCode = status
  ctx.res.setHeader('content-type', 'application/xml')
  ctx.res.setHeader('content-length', Buffer.byteLength(body))
  ctx.res.end(body)
}

/** sendEmpty answers a status without body. */
export function sendEmpty(ctx: Ctx, status = 200): void {
  ctx.res.statusCode = status
  if (status !== 204 && status !== 304) ctx.res.setHeader('content-length', '0')
  ctx.res.end()
}
