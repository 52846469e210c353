/**
 * Typed access to the metadata tables: buckets, bucket config, objects and their parts. Every mutation that
 * changes which blobs are referenced runs in one transaction together with the blob bookkeeping.
 *
 * @module
 */
import type { BucketConfigStore } from '../extensions.js'
import type { BlobStore } from './blobs.js'
import type { DB } from './db.js'
import type { VersionLock } from './lock-types.js'
import { freeingTransaction } from './space-reserve.js'

/** Client-visible object metadata: content headers and x-amz-meta-* (lower-case names). */
export interface ObjectMeta {
  contentType?: string
  headers: Record<string, string>
  user: Record<string, string>
  /** The object's tag set in x-amz-tagging form (tagging/tag-set.ts); absent when it has none. */
  tags?: string
  /** The version's object lock: retention and legal hold (storage/object-lock.ts); never sent as a header by itself. */
  lock?: VersionLock
}

/** A stored checksum of a whole object. */
export interface StoredChecksum {
  algorithm: string
  value: string
  type: 'FULL_OBJECT' | 'COMPOSITE'
}

/** One stored part (a blob) of an object or upload. */
export interface PartRow {
  partNumber: number
  blob: string
  size: number
  storedSize: number
  etag: string
  checksum?: string | null
  mtime?: number
}

/** ObjectRow is an object's metadata. */
export interface ObjectRow {
  bucket: string
  key: string
  id: string
  size: number
  storedSize: number
  etag: string
  mtime: number
  multipart: boolean
  meta: ObjectMeta
  checksum: StoredChecksum | null
  internal: unknown
  /** The version id (a UUID, or `null`); assigned by putObjectVersion (put-version.ts), absent on rows not yet written. */
  versionId?: string
}

/** RawObject is a row of `objects` (or, with delete_marker and seq, of `object_versions`) as SQLite returns it. */
export interface RawObject {
  bucket: string; key: string; id: string; size: number; stored_size: number; etag: string; mtime: number
  multipart: number; meta: string; checksum: string | null; internal: string | null; version_id: string
}

/** toObject decodes a raw row; throws only on corrupt JSON. */
export function toObject(r: RawObject): ObjectRow {
  return {
    bucket: r.bucket, key: r.key, id: r.id, size: r.size, storedSize: r.stored_size, etag: r.etag, mtime: r.mtime,
    multipart: r.multipart === 1, meta: JSON.parse(r.meta) as ObjectMeta,
    checksum: r.checksum === null ? null : JSON.parse(r.checksum) as StoredChecksum,
    internal: r.internal === null ? undefined : JSON.parse(r.internal) as unknown,
    versionId: r.version_id,
  }
}

/** MetaStore wraps the database with the queries the handlers need; methods throw only on database errors. */
export class MetaStore implements BucketConfigStore {
  constructor(readonly db: DB, readonly blobs: BlobStore) {}

  bucketExists(bucket: string): boolean {
    return this.db.prepare('SELECT 1 FROM buckets WHERE name = ?').get(bucket) !== undefined
  }

  /** createBucket inserts a bucket; returns false when it already exists. */
  createBucket(bucket: string): boolean {
    return this.db.prepare('INSERT OR IGNORE INTO buckets(name, created) VALUES (?, ?)').run(bucket, Date.now()).changes === 1
  }

  /** listBuckets returns all buckets in name order. */
  listBuckets(): Array<{ name: string; created: number }> {
    return this.db.prepare('SELECT name, created FROM buckets ORDER BY name').all() as Array<{ name: string; created: number }>
  }

  /** deleteBucket deletes an empty bucket: 'ok', 'missing' or 'not-empty'. Pending uploads are aborted. */
  deleteBucket(bucket: string): 'ok' | 'missing' | 'not-empty' {
    return this.db.transaction(() => {
      if (!this.bucketExists(bucket)) return 'missing' as const
      if (this.db.prepare('SELECT 1 FROM objects WHERE bucket = ? LIMIT 1').get(bucket) !== undefined) return 'not-empty' as const
      // Noncurrent versions and delete markers keep a bucket from being empty, as in S3.
      if (this.db.prepare('SELECT 1 FROM object_versions WHERE bucket = ? LIMIT 1').get(bucket) !== undefined) return 'not-empty' as const
      const uploads = this.db.prepare('SELECT id FROM uploads WHERE bucket = ?').all(bucket) as Array<{ id: string }>
      for (const u of uploads) this.dropUpload(u.id)
      this.db.prepare('DELETE FROM bucket_config WHERE bucket = ?').run(bucket)
      this.db.prepare('DELETE FROM buckets WHERE name = ?').run(bucket)
      return 'ok' as const
    })()
  }

  get(bucket: string, name: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM bucket_config WHERE bucket = ? AND name = ?').get(bucket, name) as { value: string } | undefined
    return row?.value
  }

  set(bucket: string, name: string, value: string): void {
    this.db.prepare('INSERT INTO bucket_config(bucket, name, value) VALUES (?, ?, ?) ON CONFLICT(bucket, name) DO UPDATE SET value = excluded.value')
      .run(bucket, name, value)
  }

  delete(bucket: string, name: string): void {
    this.db.prepare('DELETE FROM bucket_config WHERE bucket = ? AND name = ?').run(bucket, name)
  }

  /** getObject returns an object's metadata, or undefined. */
  getObject(bucket: string, key: string): ObjectRow | undefined {
    const r = this.db.prepare('SELECT * FROM objects WHERE bucket = ? AND key = ?').get(bucket, key) as RawObject | undefined
    return r === undefined ? undefined : toObject(r)
  }

  /** parts returns an object's parts in order. */
  parts(objectId: string): PartRow[] {
    return this.db.prepare('SELECT part_number AS partNumber, blob, size, stored_size AS storedSize, etag, checksum FROM object_parts WHERE object_id = ? ORDER BY idx')
      .all(objectId) as PartRow[]
  }

  /** deleteObject removes an object; returns whether it existed. */
  deleteObject(bucket: string, key: string): boolean {
    const existed = freeingTransaction(this.db, () => {
      const old = this.db.prepare('SELECT id FROM objects WHERE bucket = ? AND key = ?').get(bucket, key) as { id: string } | undefined
      if (old === undefined) return false
      this.dropObjectParts(old.id)
      this.db.prepare('DELETE FROM objects WHERE id = ?').run(old.id)
      return true
    })
    void this.blobs.collect()
    return existed
  }

  /**
   * listKeys returns up to limit objects of a bucket with key > after (key >= after when `inclusive`) and
   * key >= prefix, in key order.
   */
  listKeys(bucket: string, after: string, prefix: string, limit: number, inclusive = false): ObjectRow[] {
    const from = after >= prefix ? after : null
    const rows = from === null
      ? this.db.prepare('SELECT * FROM objects WHERE bucket = ? AND key >= ? ORDER BY key LIMIT ?').all(bucket, prefix, limit)
      : this.db.prepare(`SELECT * FROM objects WHERE bucket = ? AND key ${inclusive ? '>=' : '>'} ? ORDER BY key LIMIT ?`).all(bucket, from, limit)
    return (rows as RawObject[]).map(toObject)
  }

  /** dropObjectParts schedules an object version's blobs for deletion and forgets its parts (call inside a transaction). */
  dropObjectParts(objectId: string): void {
    const blobs = this.db.prepare('SELECT blob FROM object_parts WHERE object_id = ?').all(objectId) as Array<{ blob: string }>
    this.blobs.discard(blobs.map((b) => b.blob))
    this.db.prepare('DELETE FROM object_parts WHERE object_id = ?').run(objectId)
  }

  /** dropUpload deletes an upload and schedules its part blobs for deletion (call inside a transaction). */
  dropUpload(uploadId: string): void {
    const blobs = this.db.prepare('SELECT blob FROM upload_parts WHERE upload_id = ?').all(uploadId) as Array<{ blob: string }>
    this.blobs.discard(blobs.map((b) => b.blob))
    this.db.prepare('DELETE FROM upload_parts WHERE upload_id = ?').run(uploadId)
    this.db.prepare('DELETE FROM uploads WHERE id = ?').run(uploadId)
  }
}
