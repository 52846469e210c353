/**
 * Where tag sets live. An object's tags are part of its stored metadata (as MinIO keeps them with the object),
 * so they belong to that object version: overwriting the key or deleting it takes them along, and each
 * version of a versioned key keeps its own (updated by the version row's id in either table). A bucket's tags are a bucket config entry.
 *
 * @module
 */
import type { MetaStore, ObjectRow } from './meta.js'
import { decodeTags, encodeTags, type TagSet } from '../api/tag-set.js'

const BUCKET_TAGGING = 'tagging'

/** objectTags returns an object version's tag set; throws nothing. */
export function objectTags(row: ObjectRow): TagSet {
  return decodeTags(row.meta.tags)
}

/**
 * setObjectTags replaces the tag set of the object version `row` (an empty set removes it); returns false when
 * that version is gone (overwritten or deleted meanwhile). Throws only on database errors.
 */
export function setObjectTags(meta: MetaStore, row: ObjectRow, tags: TagSet): boolean {
  const next = { ...row.meta }
  if (tags.length === 0) delete next.tags
  else next.tags = encodeTags(tags)
  const json = JSON.stringify(next)
  // The current version is in `objects`, every older one in `object_versions` (storage/versions.ts).
  if (meta.db.prepare('UPDATE objects SET meta = ? WHERE id = ?').run(json, row.id).changes === 1) return true
  return meta.db.prepare('UPDATE object_versions SET meta = ? WHERE id = ? AND delete_marker = 0').run(json, row.id).changes === 1
}

/** bucketTags returns a bucket's tag set, or undefined when it has none; throws only on database errors. */
export function bucketTags(meta: MetaStore, bucket: string): TagSet | undefined {
  const stored = meta.get(bucket, BUCKET_TAGGING)
  return stored === undefined ? undefined : decodeTags(stored)
}

/** setBucketTags replaces (or, with undefined, removes) a bucket's tag set; throws only on database errors. */
export function setBucketTags(meta: MetaStore, bucket: string, tags: TagSet | undefined): void {
  if (tags === undefined) meta.delete(bucket, BUCKET_TAGGING)
  else meta.set(bucket, BUCKET_TAGGING, encodeTags(tags))
}
