/**
 * The S3 request pipeline: parse bucket and key (path-style, or virtual-host style under the configured
 * domain), authenticate (SigV4 header or presigned, or anonymous), resolve the operation, authorize its action,
 * then run its handler. Every failure is answered as S3 XML with the request id.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { S3Operation } from './actions.js'
import { authorize } from './authorize.js'
import { S3_ERRORS, s3err } from './errors.js'
import { parseQuery, safeDecode } from '../auth/sigv4/canonical.js'
import { isAnonymous, verifySignature } from '../auth/sigv4/verify.js'
import { handlers } from '../handlers/index.js'
import { isSseCRequested } from '../sse/request.js'
import { header, newCtx, newRequestId, sendError, type Core } from './context.js'
import { answerStalls } from './linger.js'
import { noteRequest } from '../ops/request-info.js'
import { resolveOperation } from './resolve.js'

/** handleS3 serves one S3 request; never throws (errors are answered). */
export async function handleS3(core: Core, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = newRequestId()
  res.setHeader('x-amz-request-id', requestId)
  res.setHeader('x-amz-id-2', requestId)
  res.setHeader('server', 'KeyholdS3')
  const url = req.url ?? '/'
  const qi = url.indexOf('?')
  const rawPath = qi < 0 ? url : url.slice(0, qi)
  const partial = { core, req, res, requestId, rawPath, bucket: undefined as string | undefined, key: undefined as string | undefined }
  answerStalls(req, res, () => sendError(partial, s3err('RequestTimeout')))
  try {
    const queryPairs = parseQuery(qi < 0 ? '' : url.slice(qi + 1))
    const { bucket, key } = bucketAndKey(core, req, rawPath)
    partial.bucket = bucket
    partial.key = key
    noteRequest(res, { requestId, bucket, object: key })
    const ctx = newCtx(core, req, res, { requestId, rawPath, queryPairs, bucket, key })
    // MinIO refuses every SSE-C header, the copy source's included, over plain HTTP before anything else
    // (generic-handlers.go): a customer key must never cross the wire in clear, whatever the request then does.
    if (!ctx.secure && (isSseCRequested(req.headers) || isSseCRequested(req.headers, true))) {
      throw S3_ERRORS.insecureSseCustomerRequest()
    }
    if (!isAnonymous({ method: ctx.method, rawPath, query: queryPairs, headers: req.headers })) {
      ctx.signed = await verifySignature({ method: ctx.method, rawPath, query: queryPairs, headers: req.headers }, {
        credentials: core.credentials, region: core.region, maxSkewMs: core.maxSkewMs, domain: core.domain,
      })
      ctx.principal = ctx.signed.credential.principal
      noteRequest(res, { accessKey: ctx.signed.credential.accessKey })
    }
    const resolved = resolveOperation(ctx.method, bucket, key, ctx.query)
    let op: S3Operation = resolved.op
    if (header(req, 'x-amz-copy-source') !== undefined) {
      if (op === 'PutObject') op = 'CopyObject'
      else if (op === 'UploadPart') op = 'UploadPartCopy'
    }
    noteRequest(res, { api: op })
    // DeleteObjects is authorized per key inside its handler; ListBuckets filters per bucket when denied;
    // PostObject authorizes its form's signer for its form's key.
    // PutObjectTagging authorizes with the tags of its body (tag-conditions.ts), read first.
    if (op !== 'DeleteObjects' && op !== 'ListBuckets' && op !== 'PostObject' && op !== 'PutObjectTagging') await authorize(ctx, op)
    if (resolved.subresource !== undefined) {
      await handlers.subresource(ctx, resolved.subresource)
      return
    }
    await handlers[op](ctx)
  } catch (err) {
    sendError(partial, err)
  }
}

function bucketAndKey(core: Core, req: IncomingMessage, rawPath: string): { bucket?: string; key?: string } {
  const host = (header(req, 'host') ?? '').replace(/:\d+$/, '').toLowerCase()
  const path = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath
  if (core.domain !== undefined && host.endsWith(`.${core.domain}`)) {
    const bucket = host.slice(0, -core.domain.length - 1)
    const key = safeDecode(path)
    return { bucket, key: key === '' ? undefined : key }
  }
  if (path === '') return {}
  const slash = path.indexOf('/')
  if (slash < 0) return { bucket: safeDecode(path) }
  const key = safeDecode(path.slice(slash + 1))
  return { bucket: safeDecode(path.slice(0, slash)), key: key === '' ? undefined : key }
}
