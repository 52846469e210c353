/**
 * MinIO's listing extension `ListObjectsV2?metadata=true` (minio-go's `WithMetadata`, minio-js's
 * `listObjectsV2WithMetadata`, MinIO's console): each listed object carries its metadata and tags, so a client
 * needs no HEAD per object. MinIO shows them to whoever may list; here an object's metadata is shown only to a
 * caller who may also read the object (s3:GetObject) and its tags only to one who may read them
 * (s3:GetObjectTagging), so the extension reveals nothing a HEAD or GetObjectTagging would refuse.
 *
 * @module
 */
import { isAuthorized } from '../api/authorize.js'
import type { Ctx } from '../api/context.js'
import type { XNode } from '../api/xml.js'
import type { ObjectRow } from '../storage/meta.js'

// A metadata name becomes an XML element name: only names XML can spell are shown (a header name may also hold
// `!#$%&'*+^|~`, which would make the whole listing unreadable to a strict XML parser).
const XML_SAFE_NAME = /^[A-Za-z0-9._-]+$/

/** canonical spells a header name as Go's net/http does (MinIO's keys): `x-amz-meta-foo-bar` → `X-Amz-Meta-Foo-Bar`. */
function canonical(name: string): string {
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase())
}

/**
 * metadataNodes renders an object's `UserMetadata` (its encryption type, content headers as MinIO keys them,
 * lower-case; user metadata as `X-Amz-Meta-Name`) and `UserTags` (the URL-encoded tag set), each only where the caller may read
 * it. Throws S3Error InternalError when the authorizer fails.
 */
export async function metadataNodes(ctx: Ctx, row: ObjectRow): Promise<XNode[]> {
  const nodes: XNode[] = []
  if (await isAuthorized(ctx, 'GetObject', { key: row.key, versionId: undefined })) {
    const fields: XNode[] = []
    // The encryption type first, as MinIO writes it: no key needed, and the key id stays for a HEAD to show.
    if (row.internal !== undefined && row.internal !== null) {
      for (const [name, value] of Object.entries(ctx.core.crypto?.listedEncryption?.(row.internal) ?? {})) fields.push([name, value])
    }
    if (row.meta.contentType !== undefined) fields.push(['content-type', row.meta.contentType])
    for (const [name, value] of Object.entries(row.meta.headers)) if (XML_SAFE_NAME.test(name)) fields.push([name, value])
    for (const [name, value] of Object.entries(row.meta.user)) {
      if (XML_SAFE_NAME.test(name)) fields.push([canonical(`x-amz-meta-${name}`), value])
    }
    nodes.push(['UserMetadata', fields])
  }
  if (row.meta.tags !== undefined && await isAuthorized(ctx, 'GetObjectTagging', { key: row.key, versionId: undefined })) nodes.push(['UserTags', row.meta.tags])
  return nodes
}
