/**
 * Writing an object as its key's new current version: the object and part rows, the blob bookkeeping and the
 * bucket's versioning (versions.ts) in one transaction. Apart from MetaStore so that the metadata tables do
 * not call into versioning, which is built on them.
 *
 * @module
 */
import type { MetaStore, ObjectRow, PartRow } from './meta.js'
import { makeRoomForVersion } from './versions.js'

/**
 * Why a completion found its upload changed since it read the parts: aborted (or completed by another
 * request), or a part uploaded again, whose old blob is garbage by now.
 */
export type UploadChanged = 'upload-gone' | 'part-replaced'

/** A conditional write found its key's current object changed since it checked it (another write won). */
export type ConditionLost = 'condition-lost'

/** uploadChanged checks, inside the commit's transaction, that the upload still holds exactly `parts`. */
function uploadChanged(meta: MetaStore, uploadId: string, parts: PartRow[]): UploadChanged | undefined {
  if (meta.db.prepare('SELECT 1 FROM uploads WHERE id = ?').get(uploadId) === undefined) return 'upload-gone'
  const blobOf = meta.db.prepare('SELECT blob FROM upload_parts WHERE upload_id = ? AND part_number = ?')
  for (const p of parts) {
    const current = blobOf.get(uploadId, p.partNumber) as { blob: string } | undefined
    if (current?.blob !== p.blob) return 'part-replaced'
  }
  return undefined
}

/**
 * putObjectVersion makes an object the current version of its key in one durable transaction: the new parts'
 * blobs leave pending (or, for completed uploads, the upload is dropped without its blobs). What happens to the
 * previous version follows the bucket's versioning (see {@link makeRoomForVersion}): replaced (its blobs
 * become garbage) when unversioned, kept as a noncurrent version when enabled. Returns the new version id
 * (`null` unless versioning is enabled), false when the bucket vanished meanwhile, 'condition-lost' when
 * `expectedCurrentId` is given (a conditional write: the current object's id, null for none) and the key's
 * current object is another by now, or, completing an upload, why the upload no longer holds `parts` (nothing
 * changes in any of these cases). Throws only on database errors.
 */
export function putObjectVersion(
  meta: MetaStore, row: ObjectRow, parts: PartRow[], fromUpload?: string, expectedCurrentId?: string | null,
): string | false | UploadChanged | ConditionLost {
  const ok = meta.db.transaction((): string | false | UploadChanged | ConditionLost => {
    if (!meta.bucketExists(row.bucket)) return false
    if (expectedCurrentId !== undefined) {
      const current = meta.db.prepare('SELECT id FROM objects WHERE bucket = ? AND key = ?').get(row.bucket, row.key) as { id: string } | undefined
      if ((current?.id ?? null) !== expectedCurrentId) return 'condition-lost'
    }
    if (fromUpload !== undefined) {
      const changed = uploadChanged(meta, fromUpload, parts)
      if (changed !== undefined) return changed
    }
    const versionId = makeRoomForVersion(meta, row.bucket, row.key)
    meta.db.prepare(`INSERT INTO objects(bucket, key, id, size, stored_size, etag, mtime, multipart, meta, checksum, internal, version_id)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(row.bucket, row.key, row.id, row.size, row.storedSize, row.etag,
      row.mtime, row.multipart ? 1 : 0, JSON.stringify(row.meta), row.checksum === null ? null : JSON.stringify(row.checksum),
      row.internal === undefined ? null : JSON.stringify(row.internal), versionId)
    const ins = meta.db.prepare('INSERT INTO object_parts(object_id, idx, part_number, blob, size, stored_size, etag, checksum) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    parts.forEach((p, idx) => {
      ins.run(row.id, idx, p.partNumber, p.blob, p.size, p.storedSize, p.etag, p.checksum ?? null)
      meta.blobs.adopt(p.blob)
    })
    if (fromUpload !== undefined) {
      const used = new Set(parts.map((p) => p.blob))
      const all = meta.db.prepare('SELECT blob FROM upload_parts WHERE upload_id = ?').all(fromUpload) as Array<{ blob: string }>
      meta.blobs.discard(all.map((b) => b.blob).filter((b) => !used.has(b)))
      meta.db.prepare('DELETE FROM upload_parts WHERE upload_id = ?').run(fromUpload)
      meta.db.prepare('DELETE FROM uploads WHERE id = ?').run(fromUpload)
    }
    return versionId
  })()
  void meta.blobs.collect()
  return ok
}
