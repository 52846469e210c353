/**
 * Conditional writes (AWS, and MinIO since 2024): `If-None-Match: *` stores an object only when its key has no
 * current object, `If-Match: "etag"` only when the current object has that ETag. Put-if-absent is how clients
 * take locks and commit files without a second round trip (Terraform's S3 backend lock file, table formats),
 * so ignoring the headers, and overwriting, loses their updates.
 *
 * The headers are checked twice. First before the body is read, against the ETag the client sees (which may
 * need the KMS), so a refused write sends no body. Then, authoritative, in the commit's transaction: the key's
 * current object must still be the one checked, else a concurrent write got there first and this one is
 * refused too (412), as two writers racing for the same lock must not both win.
 *
 * @module
 */
import type { Ctx } from '../api/context.js'
import { header } from '../api/context.js'
import { s3err } from '../api/errors.js'
import { clientETag } from './etags.js'
import { etagList } from './range.js'

/** What a conditional write requires of its key when it commits: the current object's id, or null for none. */
export interface WriteExpectation {
  readonly currentId: string | null
}

/**
 * checkWriteConditions applies a PutObject's or CompleteMultipartUpload's If-None-Match and If-Match to the
 * key's current object, and returns what the commit must still find (undefined when neither header is sent).
 * Throws S3Error PreconditionFailed (412, the condition named) or NoSuchKey (If-Match on a key with no current
 * object, as AWS answers), and what reading the ETag throws (`kms:*`).
 */
export async function checkWriteConditions(ctx: Ctx, bucket: string, key: string): Promise<WriteExpectation | undefined> {
  const ifNoneMatch = header(ctx.req, 'if-none-match')
  const ifMatch = header(ctx.req, 'if-match')
  if (ifNoneMatch === undefined && ifMatch === undefined) return undefined
  const current = ctx.core.meta.getObject(bucket, key)
  if (ifMatch !== undefined) {
    if (current === undefined) throw s3err('NoSuchKey')
    const wanted = etagList(ifMatch)
    if (!wanted.includes('*') && !wanted.includes(await clientETag(ctx, current))) {
      throw s3err('PreconditionFailed', undefined, { Condition: 'If-Match' })
    }
  }
  if (ifNoneMatch !== undefined && current !== undefined) {
    const refused = etagList(ifNoneMatch)
    if (refused.includes('*') || refused.includes(await clientETag(ctx, current))) {
      throw s3err('PreconditionFailed', undefined, { Condition: 'If-None-Match' })
    }
  }
  return { currentId: current?.id ?? null }
}
