/**
 * Object tagging (Get/Put/DeleteObjectTagging) and bucket tagging (Get/Put/DeleteBucketTagging), as MinIO
 * answers them. Object tags belong to the object version they were set on (tagging/store.ts).
 *
 * @module
 */
import { s3err } from '../api/errors.js'
import { readSmallBody } from '../api/body.js'
import { sendEmpty, sendXml, type Ctx } from '../api/context.js'
import type { ObjectRow } from '../storage/meta.js'
import { bucketTags, objectTags, setBucketTags, setObjectTags } from '../storage/tags.js'
import { parseTaggingXml, taggingXml } from '../api/tag-set.js'
import { requireBucket } from './common.js'
import { authorize } from '../api/authorize.js'
import { conditionsOf } from '../api/conditions.js'
import { tagConditions } from '../api/tag-conditions.js'
import { loadObject } from './get.js'
import { setVersionHeaders, versionIdOf } from './versioning.js'

// Tagging documents are small: 50 tags of at most 128 + 256 characters.
const MAX_TAGGING_BODY = 64 * 1024

/**
 * taggedObject finds the object version a tagging request names (the current one without `versionId`), and
 * answers its version id. Throws S3Error NoSuchBucket, NoSuchKey, NoSuchVersion, InvalidArgument (a version id
 * that is no UUID), or MethodNotAllowed for a delete marker, as a GET would.
 */
function taggedObject(ctx: Ctx): ObjectRow {
  const bucket = requireBucket(ctx)
  const versionId = versionIdOf(ctx.query.get('versionId'))
  const { obj } = loadObject(ctx, bucket, ctx.key!, versionId)
  setVersionHeaders(ctx.res, (obj as ObjectRow & { versionId?: string }).versionId ?? versionId)
  return obj
}

/** getObjectTagging serves GetObjectTagging (an empty TagSet when the object has none). */
export function getObjectTagging(ctx: Ctx): Promise<void> {
  sendXml(ctx, taggingXml(objectTags(taggedObject(ctx))))
  return Promise.resolve()
}

/** putObjectTagging serves PutObjectTagging; throws S3Error MalformedXML, InvalidTag, AccessDenied, NoSuchKey. */
export async function putObjectTagging(ctx: Ctx): Promise<void> {
  // As MinIO: the tags being set are the request's tag condition values, so the body is read before authorizing.
  const tags = parseTaggingXml(await readSmallBody(ctx, MAX_TAGGING_BODY), true)
  await authorize(ctx, 'PutObjectTagging', { conditions: { ...conditionsOf(ctx), ...tagConditions(tags) } })
  const row = taggedObject(ctx)
  if (!setObjectTags(ctx.core.meta, row, tags)) throw s3err('NoSuchKey')
  sendEmpty(ctx)
}

/** deleteObjectTagging serves DeleteObjectTagging: 204 whether or not there were tags. */
export function deleteObjectTagging(ctx: Ctx): Promise<void> {
  const row = taggedObject(ctx)
  if (!setObjectTags(ctx.core.meta, row, [])) throw s3err('NoSuchKey')
  sendEmpty(ctx, 204)
  return Promise.resolve()
}

/** getBucketTagging serves GetBucketTagging; throws S3Error NoSuchTagSet when the bucket has none (as MinIO). */
export function getBucketTagging(ctx: Ctx): Promise<void> {
  const tags = bucketTags(ctx.core.meta, requireBucket(ctx))
  if (tags === undefined) throw s3err('NoSuchTagSet', undefined, { BucketName: ctx.bucket! })
  sendXml(ctx, taggingXml(tags))
  return Promise.resolve()
}

/** putBucketTagging serves PutBucketTagging; throws S3Error MalformedXML, InvalidTag. */
export async function putBucketTagging(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx)
  const tags = parseTaggingXml(await readSmallBody(ctx, MAX_TAGGING_BODY), false)
  setBucketTags(ctx.core.meta, bucket, tags)
  sendEmpty(ctx)
}

/** deleteBucketTagging serves DeleteBucketTagging: 204. */
export function deleteBucketTagging(ctx: Ctx): Promise<void> {
  setBucketTags(ctx.core.meta, requireBucket(ctx), undefined)
  sendEmpty(ctx, 204)
  return Promise.resolve()
}
