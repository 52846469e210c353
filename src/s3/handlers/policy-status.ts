/**
 * GetBucketPolicyStatus as MinIO answers it: a bucket is public when its bucket policy lets anonymous callers
 * both list it (s3:ListBucket) and write to it (s3:PutObject); IAM policies play no part.
 *
 * @module
 */
import { s3err } from '../api/errors.js'
import { conditionsOf } from '../api/conditions.js'
import { sendXml, type Ctx } from '../api/context.js'
import { xmlDocument } from '../api/xml.js'
import type { S3Action } from '../extensions.js'
import { requireBucket } from './common.js'

/** getBucketPolicyStatus serves GetBucketPolicyStatus; throws S3Error NoSuchBucket, InternalError (authorizer failure). */
export async function getBucketPolicyStatus(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx)
  // Asked as an anonymous caller would be: the request's own identity must not count.
  const conditions = conditionsOf(ctx)
  for (const k of ['aws:username', 'aws:userid', 'aws:principaltype']) delete conditions[k]
  const anonymousMay = async (action: S3Action): Promise<boolean> => {
    try {
      return await ctx.core.authorizer.authorize({ principal: null, action, bucket, conditions })
    } catch (err) {
      ctx.core.log.error(`authorizer failed: ${err instanceof Error ? err.message : String(err)}`)
      throw s3err('InternalError')
    }
  }
  const isPublic = await anonymousMay('s3:ListBucket') && await anonymousMay('s3:PutObject')
  sendXml(ctx, xmlDocument(['PolicyStatus', [['IsPublic', isPublic ? 'TRUE' : 'FALSE']]]))
}
