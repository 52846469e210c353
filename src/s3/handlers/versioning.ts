/**
 * Bucket versioning: PutBucketVersioning and GetBucketVersioning (MinIO's errors), the `versionId` query
 * parameter's validation, and the version headers of object responses.
 *
 * @module
 */
import type { ServerResponse } from 'node:http'
import { S3Error, s3err } from '../api/errors.js'
import { readSmallBody } from '../api/body.js'
import { sendEmpty, sendXml, type Ctx } from '../api/context.js'
import { NULL_VERSION, VERSIONING_CONFIG, versioningOf } from '../storage/versions.js'
import { UUID } from '../api/version-id.js'
import { parseXml, xmlDocument } from '../api/xml.js'
import { requireBucket } from './common.js'
import { bucketLockOf } from '../storage/object-lock.js'
import { LOCK_ERRORS } from './object-lock-errors.js'

/** MinIO's maxBucketVersioningConfigSize. */
const MAX_CONFIG_BYTES = 1 << 20

export { versionIdOf } from '../api/version-id.js'

/** uuidProblem describes why a version id is no UUID, in the words of Go's uuid.Parse (for DeleteObjects errors). */
export function uuidProblem(v: string): string | undefined {
  if (v === NULL_VERSION || UUID.test(v)) return undefined
  return v.length === 36 ? 'invalid UUID format' : `invalid UUID length: ${v.length}`
}

/**
 * setVersionHeaders answers x-amz-version-id for a real version id (never for `null`, as MinIO) and, when the
 * version is a delete marker, x-amz-delete-marker.
 */
export function setVersionHeaders(res: ServerResponse, versionId: string | undefined, deleteMarker = false): void {
  if (versionId === undefined || versionId === NULL_VERSION) return
  res.setHeader('x-amz-version-id', versionId)
  if (deleteMarker) res.setHeader('x-amz-delete-marker', 'true')
}

/** getBucketVersioning serves GetBucketVersioning (an empty configuration for a never-versioned bucket); throws S3Error NoSuchBucket. */
export function getBucketVersioning(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx)
  const status = versioningOf(ctx.core.meta, bucket)
  sendXml(ctx, xmlDocument(['VersioningConfiguration', status === undefined ? [] : [['Status', status]]]))
  return Promise.resolve()
}

/**
 * putBucketVersioning serves PutBucketVersioning: Enabled or Suspended (a bucket never goes back to unversioned).
 * Throws S3Error NoSuchBucket, MalformedXML (also past 1 MiB), or IllegalVersioningConfigurationException with
 * MinIO's text for any other status.
 */
export async function putBucketVersioning(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx)
  // MinIO reads at most 1 MiB and parses that: a longer body is malformed XML, not a too-large entity.
  const body = await readSmallBody(ctx, MAX_CONFIG_BYTES).catch((err: unknown) => {
    throw err instanceof S3Error && err.code === 'EntityTooLarge' ? s3err('MalformedXML') : err
  })
  const doc = parseXml(body, 'VersioningConfiguration')
  const status = doc.Status ?? ''
  if (typeof status !== 'string') throw s3err('MalformedXML')
  if (status !== 'Enabled' && status !== 'Suspended') {
    throw s3err('IllegalVersioningConfigurationException',
      `Versioning configuration specified in the request is invalid. (unsupported Versioning status ${status})`)
  }
  // Checked right before the write, with no await between: lock cannot be enabled in the gap.
  if (status === 'Suspended' && bucketLockOf(ctx.core.meta, bucket) !== undefined) throw LOCK_ERRORS.cannotSuspend()
  ctx.core.meta.set(bucket, VERSIONING_CONFIG, status)
  sendEmpty(ctx)
}
