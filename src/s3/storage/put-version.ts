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
 * putObjectVersion makes an object the current version of its key in one durable transaction: the new parts'
 * blobs leave pending (or, for completed uploads, the upload is dropped without its blobs). What happens to the
 * previous version follows the bucket's versioning (see {@link makeRoomForVersion}): replaced (its blobs
 * become garbage) when unversioned, kept as a noncurrent version when enabled. Returns the new version id
 * (`null` unless versioning is enabled), or false when the bucket vanished meanwhile (nothing changes). Throws
 * only on database errors.
 */
export function putObjectVersion(meta: MetaStore, row: ObjectRow, parts: PartRow[], fromUpload?: string): string | false {
  const ok = meta.db.transaction(() => {
    if (!meta.bucketExists(row.bucket)) return false
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
