/**
 * MinIO's object-tag condition keys: `s3:ExistingObjectTag/<key>`, `s3:RequestObjectTag/<key>` and
 * `s3:RequestObjectTagKeys`. MinIO fills all three from one tag set: the object's own tags for any read of an
 * object (s3:Get*: GET, HEAD, a copy's source, its ACL, tags, retention) or a tag removal; the tags a write sets
 * for PUT, copy, multipart upload and form (their `x-amz-tagging` header, and for their s3:PutObjectTagging
 * question the tags themselves: authorize.ts) and for PutObjectTagging (its body, authorized in its handler).
 * A read never takes the header (an untagged object would otherwise be read with tags its caller claimed). A
 * header that does not parse gives no keys, as in MinIO.
 *
 * @module
 */
import type { AuthzRequest } from '../extensions.js'
import { getVersion } from '../storage/versions.js'
import { ACTIONS, type S3Operation } from './actions.js'
import { header, type Ctx } from './context.js'
import { decodeTags, parseTaggingHeader, type TagSet } from './tag-set.js'

/**
 * Whether `op` is decided by the object's own tags: every read of an object (s3:Get*: GetObjectAcl and
 * GetObjectRetention too, found by an attack) and a tag removal. Throws nothing.
 */
function readsExistingTags(op: S3Operation): boolean {
  return op === 'DeleteObjectTagging' || ACTIONS[op].startsWith('s3:Get')
}

/** The writes whose `x-amz-tagging` header names the tags they set: the only requests the header counts for. */
const REQUEST_TAG_OPS: ReadonlySet<S3Operation> = new Set(['PutObject', 'CopyObject', 'CreateMultipartUpload', 'PostObject'])

/** tagConditions renders a tag set as MinIO's condition keys; throws nothing. */
export function tagConditions(tags: TagSet): Record<string, string[]> {
  const c: Record<string, string[]> = {}
  if (tags.length === 0) return c
  for (const [k, v] of tags) {
    c[`s3:ExistingObjectTag/${k}`] = [v]
    c[`s3:RequestObjectTag/${k}`] = [v]
  }
  c['s3:RequestObjectTagKeys'] = tags.map(([k]) => k)
  return c
}

/**
 * addTagConditions adds the tag condition keys of one authorization question to its conditions (those already
 * there, e.g. a PutObjectTagging body's, are kept). Throws only on database errors.
 */
export function addTagConditions(ctx: Ctx, op: S3Operation, request: AuthzRequest): void {
  // The root account is allowed everything whatever the conditions: spare its reads the lookup.
  if (request.principal?.kind === 'root') return
  let tags: TagSet = []
  if (readsExistingTags(op)) {
    // Never the header: it would let the caller claim tags an untagged object lacks (a copy's `x-amz-tagging`
    // names the destination's tags, never the source's).
    if (request.bucket !== undefined && request.key !== undefined) {
      const meta = ctx.core.meta
      const row = request.versionId === undefined ? meta.getObject(request.bucket, request.key)
        : getVersion(meta, request.bucket, request.key, request.versionId)
      tags = decodeTags(row?.meta.tags)
    }
  } else if (REQUEST_TAG_OPS.has(op)) {
    const sent = header(ctx.req, 'x-amz-tagging')
    try {
      if (sent !== undefined) tags = parseTaggingHeader(sent)
    } catch {
      // MinIO ignores a tagging header it cannot parse here; the handler refuses it with InvalidTag.
    }
  }
  for (const [k, v] of Object.entries(tagConditions(tags))) request.conditions[k] ??= v
}
