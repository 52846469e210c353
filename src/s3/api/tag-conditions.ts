/**
 * MinIO's object-tag condition keys: `s3:ExistingObjectTag/<key>`, `s3:RequestObjectTag/<key>` and
 * `s3:RequestObjectTagKeys`. MinIO fills all three from one tag set: the object's own tags for a read or a
 * tag removal (GetObject, HeadObject, a copy's source, GetObjectTagging, DeleteObjectTagging), the tags being
 * set for PutObjectTagging (its body, so that request is authorized in its handler), and otherwise the
 * request's `x-amz-tagging` header. A read never takes the header (an untagged object would otherwise be read
 * with tags its caller claimed). A header that does not parse gives no keys, as in MinIO.
 *
 * @module
 */
import type { AuthzRequest } from '../extensions.js'
import { getVersion } from '../storage/versions.js'
import { ACTIONS, type S3Operation } from './actions.js'
import { header, type Ctx } from './context.js'
import { decodeTags, parseTaggingHeader, type TagSet } from './tag-set.js'

/** The operations whose object's existing tags are the condition values, besides every read of an object (s3:Get*). */
const EXISTING_TAG_OPS: ReadonlySet<S3Operation> = new Set(['GetObject', 'HeadObject', 'GetObjectTagging', 'DeleteObjectTagging'])
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
  // Every read of an object (GetObjectAcl and GetObjectRetention included, found by an attack) is decided by its
  // own tags; only a write that sets tags takes the header.
  const existing = EXISTING_TAG_OPS.has(op) || ACTIONS[op].startsWith('s3:Get')
  if (existing && request.bucket !== undefined && request.key !== undefined) {
    const meta = ctx.core.meta
    const row = request.versionId === undefined ? meta.getObject(request.bucket, request.key)
      : getVersion(meta, request.bucket, request.key, request.versionId)
    tags = decodeTags(row?.meta.tags)
  }
  // A read is decided by the object's own tags only: a header would let the caller claim tags an untagged
  // object lacks (a copy's `x-amz-tagging` names the destination's tags, never the source's).
  const sent = REQUEST_TAG_OPS.has(op) ? header(ctx.req, 'x-amz-tagging') : undefined
  if (sent !== undefined) {
    try {
      tags = parseTaggingHeader(sent)
    } catch {
      // MinIO ignores a tagging header it cannot parse here; the handler refuses it with InvalidTag.
    }
  }
  for (const [k, v] of Object.entries(tagConditions(tags))) request.conditions[k] ??= v
}
