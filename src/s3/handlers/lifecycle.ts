/**
 * Bucket lifecycle: Put/Get/DeleteBucketLifecycleConfiguration as MinIO answers them. A PUT must carry
 * Content-MD5 or an x-amz-checksum-* header (as MinIO and AWS require), and its document is decoded and checked
 * whole before anything is stored; GET answers 404 NoSuchLifecycleConfiguration when the bucket has none;
 * DELETE answers 204 either way.
 *
 * @module
 */
import { s3err } from '../api/errors.js'
import { readSmallBody } from '../api/body.js'
import { header, sendEmpty, sendXml, type Ctx } from '../api/context.js'
import { decodeLifecycle } from '../lifecycle/parse.js'
import { renderLifecycle } from '../lifecycle/render.js'
import { lifecycleOf, setLifecycle } from '../lifecycle/store.js'
import { validateLifecycle } from '../lifecycle/validate.js'
import { requireBucket } from './common.js'

/**
 * The largest document accepted: 1000 rules with 255-byte ids, 1 KiB prefixes and a few tags fit in 2 MiB.
 * Past it the answer is 400 EntityTooLarge, before any of it is parsed.
 */
const MAX_LIFECYCLE_BODY = 2 * 1024 * 1024

// A checksum the body is verified against (an algorithm named without its value does not count).
const CHECKSUM_VALUE_HEADER = /^x-amz-checksum-(crc32|crc32c|crc64nvme|sha1|sha256)$/

/** getBucketLifecycle serves GetBucketLifecycleConfiguration; throws S3Error NoSuchBucket, NoSuchLifecycleConfiguration. */
export function getBucketLifecycle(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx)
  const config = lifecycleOf(ctx.core.meta, bucket)
  if (config === undefined) {
    throw s3err('NoSuchLifecycleConfiguration', undefined, { BucketName: bucket })
  }
  sendXml(ctx, renderLifecycle(config))
  return Promise.resolve()
}

/**
 * putBucketLifecycle serves PutBucketLifecycleConfiguration (and the older PutBucketLifecycle, the same
 * request). Throws S3Error NoSuchBucket, MissingContentMD5, EntityTooLarge, MalformedXML, InvalidArgument
 * (MinIO's rule checks), InvalidStorageClass (transitions: no tiers here), BadDigest.
 */
export async function putBucketLifecycle(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx)
  const checksummed = header(ctx.req, 'content-md5') !== undefined || header(ctx.req, 'x-amz-trailer') !== undefined
    || Object.keys(ctx.req.headers).some((h) => CHECKSUM_VALUE_HEADER.test(h))
  if (!checksummed) {
    throw s3err('MissingContentMD5')
  }
  const body = await readSmallBody(ctx, MAX_LIFECYCLE_BODY)
  const config = validateLifecycle(decodeLifecycle(body))
  setLifecycle(ctx.core.meta, bucket, config)
  sendEmpty(ctx)
}

/** deleteBucketLifecycle serves DeleteBucketLifecycle: 204, whether or not there was a configuration; throws S3Error NoSuchBucket. */
export function deleteBucketLifecycle(ctx: Ctx): Promise<void> {
  setLifecycle(ctx.core.meta, requireBucket(ctx), undefined)
  sendEmpty(ctx, 204)
  return Promise.resolve()
}
