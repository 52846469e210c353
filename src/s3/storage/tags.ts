/**
 * Where tag sets live. An object's tags are part of its stored metadata (as MinIO keeps them with the object),
 * so they belong to that object version: overwriting the key or deleting it takes them along, and each
 * version of a versioned key keeps its own (updated by the version row's id in either table). A bucket's tags are a bucket config entry.
 *
 * @module
 */
import type { MetaStore, ObjectMeta, ObjectRow } from './meta.js'
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
  // The row is re-read in the transaction that writes it: metadata changed since `row` was read (an object
  // lock set meanwhile, storage/object-lock.ts) is kept, never overwritten with the older copy.
  return meta.db.transaction(() => {
    // The current version is in `objects`, every older one in `object_versions` (storage/versions.ts).
    const found = (meta.db.prepare('SELECT meta, 1 AS current FROM objects WHERE id = ?').get(row.id)
      ?? meta.db.prepare('SELECT meta, 0 AS current FROM object_versions WHERE id = ? AND delete_marker = 0').get(row.id)) as
      { meta: string; current: number } | undefined
    if (found === undefined) return false
    const next = JSON.parse(found.meta) as ObjectMeta
    if (tags.length === 0) delete next.tags
    else next.tags = encodeTags(tags)
    meta.db.prepare(`UPDATE ${found.current === 1 ? 'objects' : 'object_versions'} SET meta = ? WHERE id = ?`).run(JSON.stringify(next), row.id)
    return true
  })()
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
