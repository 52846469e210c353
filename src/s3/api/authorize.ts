/**
 * The access check of one S3 operation: what dispatch runs before a handler, and what handlers run
 * themselves for the operations authorized per key or per form (DeleteObjects, PostObject, copies).
 *
 * @module
 */
import { ACTIONS, type S3Operation } from './actions.js'
import { conditionsOf } from './conditions.js'
import type { Ctx } from './context.js'
import { S3Error, s3err } from './errors.js'
import { addTagConditions, tagConditions } from './tag-conditions.js'
import { decodeTags } from './tag-set.js'
import { requestedVersion } from './version-id.js'
import type { AuthzRequest } from '../extensions.js'

/** authorize asks the authorizer about an operation; throws S3Error AccessDenied (or InternalError). */
export async function authorize(ctx: Ctx, op: S3Operation, override?: Partial<AuthzRequest>): Promise<void> {
  const request: AuthzRequest = {
    principal: ctx.principal, action: ACTIONS[op], bucket: ctx.bucket, key: ctx.key,
    conditions: conditionsOf(ctx), versionId: requestedVersion(ctx.query.get('versionId')), ...override,
  }
  addTagConditions(ctx, op, request)
  let allowed: boolean
  try {
    allowed = await ctx.core.authorizer.authorize(request)
  } catch (err) {
    ctx.core.log.error(`authorizer failed: ${err instanceof Error ? err.message : String(err)}`)
    throw s3err('InternalError')
  }
  if (!allowed) throw s3err('AccessDenied')
}

/**
 * isAuthorized is {@link authorize} as a question: false for AccessDenied, for callers to whom a refusal only
 * hides or narrows something. Throws S3Error InternalError when the authorizer fails.
 */
export async function isAuthorized(ctx: Ctx, op: S3Operation, override?: Partial<AuthzRequest>): Promise<boolean> {
  try {
    await authorize(ctx, op, override)
    return true
  } catch (err) {
    if (err instanceof S3Error && err.code === 'AccessDenied') return false
    throw err
  }
}

/**
 * authorizeTagsSet asks for s3:PutObjectTagging with the tags a write sets (its `x-amz-tagging` header or form
 * field, stored encoded) as the request's tag condition values: as MinIO asks it of a PUT, copy, upload or form
 * carrying tags. Throws S3Error AccessDenied or InternalError.
 */
export function authorizeTagsSet(ctx: Ctx, encodedTags: string): Promise<void> {
  return authorize(ctx, 'PutObjectTagging', { conditions: { ...conditionsOf(ctx), ...tagConditions(decodeTags(encodedTags)) } })
}
