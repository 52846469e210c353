/**
 * Helpers shared by object handlers: bucket existence, crypto write plans, and committing a written object.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { s3err } from '../api/errors.js'
import type { WriteContext, WriteOperation, WritePlan } from '../extensions.js'
import { putObjectVersion } from '../storage/put-version.js'
import type { Ctx } from '../api/context.js'
import type { ObjectRow, PartRow } from '../storage/meta.js'
import { NULL_VERSION } from '../storage/versions.js'
import { setExpirationHeader } from '../lifecycle/predict.js'
import type { WriteExpectation } from './write-conditions.js'

/** requireBucket throws S3Error NoSuchBucket unless ctx.bucket exists; returns its name. */
export function requireBucket(ctx: Ctx): string {
  const bucket = ctx.bucket!
  if (!ctx.core.meta.bucketExists(bucket)) throw s3err('NoSuchBucket')
  return bucket
}

/** newObjectId makes the unique id of an object version. */
export function newObjectId(): string {
  return randomBytes(16).toString('hex')
}

/** writePlan asks the crypto hook (if any) how to store a write; throws what the hook throws. */
export async function writePlan(
  ctx: Ctx, operation: WriteOperation, extra: Partial<WriteContext> = {},
): Promise<WritePlan | undefined> {
  if (ctx.core.crypto === undefined) return undefined
  return ctx.core.crypto.write({
    operation, bucket: ctx.bucket!, key: ctx.key!, headers: ctx.req.headers, secure: ctx.secure,
    bucketConfig: ctx.core.meta, ...extra,
  })
}

/**
 * commitObject makes an object the current version of its key and answers its version id (x-amz-version-id,
 * unless `null`) and, when a lifecycle rule will expire it, x-amz-expiration; returns that version id. Throws
 * S3Error NoSuchBucket (and removes the new blobs) when the bucket was deleted while the bytes were being
 * written, PreconditionFailed (likewise) when `expect` no longer holds (see write-conditions.ts), and for a
 * completion NoSuchUpload / InvalidPart when its upload changed.
 */
export async function commitObject(
  ctx: Ctx, row: ObjectRow, parts: PartRow[], fromUpload?: string, expect?: WriteExpectation,
): Promise<string> {
  const versionId = putObjectVersion(ctx.core.meta, row, parts, fromUpload, expect?.currentId)
  if (versionId === false || versionId === 'condition-lost') {
    if (fromUpload === undefined) for (const p of parts) await ctx.core.blobs.abandon(p.blob)
    // A conditional write that lost the race to another write of its key: refused as its condition now fails.
    if (versionId === 'condition-lost') throw s3err('PreconditionFailed', undefined, { Condition: ctx.req.headers['if-none-match'] !== undefined ? 'If-None-Match' : 'If-Match' })
    throw s3err('NoSuchBucket')
  }
  // A completion that lost a race with an abort or a part's re-upload commits nothing.
  if (versionId === 'upload-gone') throw s3err('NoSuchUpload')
  if (versionId === 'part-replaced') throw s3err('InvalidPart')
  // MinIO never answers the `null` version id.
  if (versionId !== NULL_VERSION) ctx.res.setHeader('x-amz-version-id', versionId)
  setExpirationHeader(ctx.res, ctx.core.meta, row)
  return versionId
}

/** setHeaders copies extra response headers (from crypto plans). */
export function setHeaders(ctx: Ctx, headers: Record<string, string> | undefined): void {
  for (const [k, v] of Object.entries(headers ?? {})) ctx.res.setHeader(k, v)
}
