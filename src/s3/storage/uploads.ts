/**
 * Multipart upload metadata: uploads and their parts. Each part is its own blob; completing an upload turns
 * the chosen parts into the object's parts without copying bytes (see putObjectVersion in put-version.ts).
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { checksumTypeOf, type ChecksumType } from '../checksum/multipart-checksum.js'
import type { BlobStore } from './blobs.js'
import type { DB } from './db.js'
import type { ObjectMeta, PartRow } from './meta.js'
import { freeingTransaction } from './space-reserve.js'

/** UploadRow is one multipart upload in progress. */
export interface UploadRow {
  id: string
  bucket: string
  key: string
  initiated: number
  meta: ObjectMeta
  checksumAlgorithm: string | null
  /** How the object's checksum is formed from the parts'; null without an algorithm. */
  checksumType: ChecksumType | null
  internal: unknown
}

interface RawUpload {
  id: string; bucket: string; key: string; initiated: number; meta: string; checksum_algorithm: string | null; internal: string | null
  checksum_type: string | null
}

function toUpload(r: RawUpload): UploadRow {
  return {
    id: r.id, bucket: r.bucket, key: r.key, initiated: r.initiated, meta: JSON.parse(r.meta) as ObjectMeta,
    checksumAlgorithm: r.checksum_algorithm,
    // Uploads begun before checksum_type was stored have NULL: their type is the one their algorithm implied.
    checksumType: r.checksum_algorithm === null ? null : (r.checksum_type as ChecksumType | null) ?? checksumTypeOf(r.checksum_algorithm),
    internal: r.internal === null ? undefined : JSON.parse(r.internal) as unknown,
  }
}

/**
 * Where a listing of uploads goes on: after the uploads of `key` up to `id` (in (initiated, id) order; an empty id
 * is after all of them), or at the first key from `atKey` on.
 */
export type UploadCursor = { key: string; id: string } | { atKey: string }

/** UploadStore wraps the upload tables; methods throw only on database errors. */
export class UploadStore {
  constructor(private readonly db: DB, private readonly blobs: BlobStore) {}

  /** create starts an upload and returns its id; `checksum` is the algorithm and type its object's checksum takes. */
  create(bucket: string, key: string, meta: ObjectMeta, checksum: { algorithm: string; type: ChecksumType } | null, internal: unknown): string {
    const id = randomBytes(24).toString('base64url')
    this.db.prepare('INSERT INTO uploads(id, bucket, key, initiated, meta, checksum_algorithm, checksum_type, internal) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(id, bucket, key, Date.now(), JSON.stringify(meta), checksum?.algorithm ?? null, checksum?.type ?? null,
        internal === undefined ? null : JSON.stringify(internal))
    return id
  }

  /** get returns an upload, or undefined. */
  get(id: string): UploadRow | undefined {
    const r = this.db.prepare('SELECT * FROM uploads WHERE id = ?').get(id) as RawUpload | undefined
    return r === undefined ? undefined : toUpload(r)
  }

  /** putPart records (or replaces) a part; returns false when the upload vanished (the caller abandons the blob). */
  putPart(uploadId: string, part: PartRow): boolean {
    return this.db.transaction(() => {
      if (this.db.prepare('SELECT 1 FROM uploads WHERE id = ?').get(uploadId) === undefined) return false
      const old = this.db.prepare('SELECT blob FROM upload_parts WHERE upload_id = ? AND part_number = ?').get(uploadId, part.partNumber) as { blob: string } | undefined
      if (old !== undefined) this.blobs.discard([old.blob])
      this.db.prepare(`INSERT OR REPLACE INTO upload_parts(upload_id, part_number, blob, size, stored_size, etag, checksum, mtime)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(uploadId, part.partNumber, part.blob, part.size, part.storedSize, part.etag, part.checksum ?? null, Date.now())
      this.blobs.adopt(part.blob)
      return true
    })()
  }

  /** parts lists an upload's parts with number > after, at most limit. */
  parts(uploadId: string, after = 0, limit = 10000): PartRow[] {
    return this.db.prepare(`SELECT part_number AS partNumber, blob, size, stored_size AS storedSize, etag, checksum, mtime
      FROM upload_parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?`).all(uploadId, after, limit) as PartRow[]
  }

  /**
   * list returns uploads of a bucket under prefix, in (key, initiated, id) order, at most limit, from `from`:
   * with `key` and `id`, the keys after `key`, preceded by the uploads of `key` itself that come after `id` in
   * that order (none with an empty id); with `atKey`, the keys from `atKey` on (a seek past a common prefix). The
   * markers are compared in the order listed: comparing ids alone hid the uploads of a key that were initiated
   * later but had a smaller id, from anyone paging (found by an attack). An id no longer found (aborted
   * meanwhile) lists that key's uploads from its first. Throws only on database errors.
   */
  list(bucket: string, prefix: string, from: UploadCursor, limit: number): UploadRow[] {
    const rows: RawUpload[] = []
    let after: { key: string; inclusive: boolean }
    if ('atKey' in from) {
      after = { key: from.atKey, inclusive: true }
    } else {
      after = { key: from.key, inclusive: false }
      if (from.id !== '' && from.key.startsWith(prefix)) rows.push(...this.sameKey(bucket, from.key, from.id, limit))
    }
    if (rows.length < limit) {
      // One lower bound, so SQLite seeks to it: given both `key > @key AND key >= @prefix` it ranges over one
      // of them and filters by the other, reading every key between the two. Compared as UTF-8 bytes, the
      // index's order (a JavaScript comparison of UTF-16 differs past U+FFFF).
      const order = Buffer.compare(Buffer.from(prefix), Buffer.from(after.key))
      const bound = order > 0 || after.inclusive ? 'key >= @from' : 'key > @from'
      // The keys after one are their own range scan: in one query with the same key's uploads (`key > @key OR
      // (key = @key AND …)`), SQLite ranged from the prefix, or merged both and sorted them, and every batch of
      // a listing read all the uploads of the key again (40,000 of one key: 945 ms a listing, found by an attack).
      rows.push(...this.db.prepare(`SELECT * FROM uploads WHERE bucket = @bucket AND ${bound}
        ORDER BY key, initiated, id LIMIT @limit`)
        .all({ bucket, from: order > 0 ? prefix : after.key, limit: limit - rows.length }) as RawUpload[])
    }
    return rows.map(toUpload).filter((u) => u.key.startsWith(prefix))
  }

  /**
   * sameKey returns the uploads of one key after `idMarker` in (initiated, id) order, at most limit: all of them
   * when the marker is no longer found. A seek in uploads_by_key, which holds the primary key id after
   * initiated. Throws only on database errors.
   */
  private sameKey(bucket: string, key: string, idMarker: string, limit: number): RawUpload[] {
    const marker = this.db.prepare('SELECT initiated FROM uploads WHERE id = ? AND bucket = ? AND key = ?').get(idMarker, bucket, key) as { initiated: number } | undefined
    const after = marker === undefined ? '' : 'AND (initiated, id) > (@initiated, @id)'
    return this.db.prepare(`SELECT * FROM uploads WHERE bucket = @bucket AND key = @key ${after} ORDER BY initiated, id LIMIT @limit`)
      .all({ bucket, key, limit, ...(marker !== undefined ? { initiated: marker.initiated, id: idMarker } : {}) }) as RawUpload[]
  }

  /** abort deletes an upload and its parts; returns whether it existed. */
  abort(id: string, dropUpload: (id: string) => void): boolean {
    const existed = freeingTransaction(this.db, () => {
      if (this.db.prepare('SELECT 1 FROM uploads WHERE id = ?').get(id) === undefined) return false
      dropUpload(id)
      return true
    })
    void this.blobs.collect()
    return existed
  }
}
