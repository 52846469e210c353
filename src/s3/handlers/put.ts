/**
 * PutObject: streams the body (verified) through the optional cipher stage into a new blob, then commits the
 * object's metadata in one durable transaction.
 *
 * @module
 */
import { checksumHeader } from '../checksum/checksum.js'
import { s3err } from '../api/errors.js'
import { decodeBody } from '../api/body.js'
import { sendEmpty, type Ctx } from '../api/context.js'
import { authorizeTagsSet } from '../api/authorize.js'
import { checkKey, metaFromHeaders } from './object-meta.js'
import { requireBucket, setHeaders, writePlan } from './common.js'
import { storeSinglePart } from './store-object.js'
import { lockForWrite } from './object-lock-headers.js'
import { checkWriteConditions } from './write-conditions.js'

/** MAX_PUT_SIZE is S3's single-PUT limit (5 GiB). */
export const MAX_PUT_SIZE = 5 * 1024 ** 3

/** putObject serves PutObject; throws S3Error for bad requests and failed body checks. */
export async function putObject(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx)
  const key = ctx.key!
  checkKey(key)
  const meta = metaFromHeaders(ctx.req)
  // Tags on a PUT need the tagging permission too, as MinIO's PutObjectHandler asks for it.
  if (meta.tags !== undefined) await authorizeTagsSet(ctx, meta.tags)
  const lock = await lockForWrite(ctx)
  if (lock !== undefined) meta.lock = lock
  // Before the body is read: a refused conditional write is answered without its body being sent.
  const expect = await checkWriteConditions(ctx, bucket, key)
  const body = decodeBody(ctx, { requireLength: true })
  if (body.size !== undefined && body.size > MAX_PUT_SIZE) throw s3err('EntityTooLarge')
  const plan = await writePlan(ctx, 'put-object')
  const { etag } = await storeSinglePart(ctx, { bucket, key, meta, expect }, body.stream, body.check, plan)
  ctx.res.setHeader('etag', `"${etag}"`)
  const checksum = body.check.checksum
  if (checksum !== undefined) {
    ctx.res.setHeader(checksumHeader(checksum.algorithm), checksum.value)
    ctx.res.setHeader('x-amz-checksum-type', 'FULL_OBJECT')
  }
  setHeaders(ctx, plan?.responseHeaders)
  sendEmpty(ctx)
}
