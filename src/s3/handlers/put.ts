/**
 * PutObject: streams the body (verified) through the optional cipher stage into a new blob, then commits the
 * object's metadata in one durable transaction.
 *
 * @module
 */
import { checksumHeader } from '../checksum.js'
import { s3err } from '../errors.js'
import { decodeBody } from '../http/body.js'
import { sendEmpty, type Ctx } from '../http/context.js'
import { authorize } from '../http/dispatch.js'
import { writeBlob } from '../storage/writer.js'
import { checkKey, metaFromHeaders } from './object-meta.js'
import { commitObject, newObjectId, requireBucket, setHeaders, writePlan } from './common.js'

/** MAX_PUT_SIZE is S3's single-PUT limit (5 GiB). */
export const MAX_PUT_SIZE = 5 * 1024 ** 3

/** putObject serves PutObject; throws S3Error for bad requests and failed body checks. */
export async function putObject(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx)
  const key = ctx.key!
  checkKey(key)
  const meta = metaFromHeaders(ctx.req)
  // Tags on a PUT need the tagging permission too, as MinIO's PutObjectHandler asks for it.
  if (meta.tags !== undefined) await authorize(ctx, 'PutObjectTagging')
  const body = decodeBody(ctx, { requireLength: true })
  if (body.size !== undefined && body.size > MAX_PUT_SIZE) throw s3err('EntityTooLarge')
  const plan = await writePlan(ctx, 'put-object')
  const written = await writeBlob(ctx.core.blobs, body.stream, plan?.transform)
  const check = body.check
  let etag = check.md5Hex
  let shown: string | undefined
  let internal = plan?.internal
  try {
    if (plan?.finish !== undefined) {
      const fin = await plan.finish({ plainSize: check.size, storedSize: written.storedSize, md5Hex: check.md5Hex })
      etag = fin.etag ?? etag
      shown = fin.clientETag
      internal = fin.internal ?? internal
    }
  } catch (err) {
    await ctx.core.blobs.abandon(written.blob)
    throw err
  }
  const checksum = check.checksum === undefined ? null : { ...check.checksum, type: 'FULL_OBJECT' as const }
  await commitObject(ctx, {
    bucket, key, id: newObjectId(), size: check.size, storedSize: written.storedSize, etag, mtime: Date.now(),
    multipart: false, meta, checksum, internal,
  }, [{ partNumber: 1, blob: written.blob, size: check.size, storedSize: written.storedSize, etag }])
  ctx.res.setHeader('etag', `"${shown ?? etag}"`)
  if (checksum !== null) {
    ctx.res.setHeader(checksumHeader(checksum.algorithm), checksum.value)
    ctx.res.setHeader('x-amz-checksum-type', 'FULL_OBJECT')
  }
  setHeaders(ctx, plan?.responseHeaders)
  sendEmpty(ctx)
}
