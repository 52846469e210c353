/**
 * The access check of one S3 operation: what dispatch runs before a handler, and what handlers run
 * themselves for the operations authorized per key or per form (DeleteObjects, PostObject, copies).
 *
 * @module
 */
import { ACTIONS, type S3Operation } from './actions.js'
import { conditionsOf } from './conditions.js'
import type { Ctx } from './context.js'
import { s3err } from './errors.js'
import { addTagConditions } from './tag-conditions.js'
import type { AuthzRequest } from '../extensions.js'

/** authorize asks the authorizer about an operation; throws S3Error AccessDenied (or InternalError). */
export async function authorize(ctx: Ctx, op: S3Operation, override?: Partial<AuthzRequest>): Promise<void> {
  const request: AuthzRequest = {
    principal: ctx.principal, action: ACTIONS[op], bucket: ctx.bucket, key: ctx.key,
    conditions: conditionsOf(ctx), versionId: ctx.query.get('versionId') || undefined, ...override,
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
