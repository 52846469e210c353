/**
 * Object versions (MinIO's model of S3 versioning) on the metadata tables. A key's current version lives in
 * `objects` unless it is a delete marker; every other version lives in `object_versions`, newest at the highest
 * seq. Every function here either runs inside the caller's transaction or opens its own, so a crash leaves each
 * version whole or absent, never torn between the tables.
 *
 * @module
 */
import { randomUUID } from 'node:crypto'
import { toObject, type MetaStore, type ObjectRow, type RawObject } from './meta.js'
import { freeingTransaction } from './space-reserve.js'

/** The bucket_config entry holding a bucket's versioning status. */
export const VERSIONING_CONFIG = 'versioning'

/** A bucket's versioning status; undefined for a bucket that was never versioned. */
export type VersioningStatus = 'Enabled' | 'Suspended' | undefined

/** NULL_VERSION is the version id of objects written while versioning was off or suspended. */
export const NULL_VERSION = 'null'

/** A version of a key: an object version or a delete marker. */
export interface VersionRow extends ObjectRow {
  versionId: string
  deleteMarker: boolean
  isLatest: boolean
  /** Ordering among a key's versions (larger is newer); the current object row sorts above all others. */
  seq: number
}

/** The outcome of a DELETE: which version it created or removed, and whether that is a delete marker. */
export interface DeleteOutcome {
  /** The version created (a delete marker) or removed; undefined when nothing existed to remove. */
  versionId: string | undefined
  deleteMarker: boolean
}

const CURRENT_SEQ = Number.MAX_SAFE_INTEGER
const COLUMNS = 'bucket, key, version_id, id, size, stored_size, etag, mtime, multipart, meta, checksum, internal'

interface RawVersion extends RawObject { delete_marker: number; seq: number; is_latest: number }

function toVersion(r: RawVersion): VersionRow {
  return { ...toObject(r), versionId: r.version_id, deleteMarker: r.delete_marker === 1, isLatest: r.is_latest === 1, seq: r.seq }
}

/** versioningOf reads a bucket's versioning status; throws only on database errors. */
export function versioningOf(meta: MetaStore, bucket: string): VersioningStatus {
  const v = meta.get(bucket, VERSIONING_CONFIG)
  return v === 'Enabled' || v === 'Suspended' ? v : undefined
}

/** A SQL expression: is this object_versions row (aliased v) its key's latest version? */
const IS_LATEST_SQL = `(NOT EXISTS(SELECT 1 FROM objects o WHERE o.bucket = v.bucket AND o.key = v.key)
  AND v.seq = (SELECT MAX(seq) FROM object_versions w WHERE w.bucket = v.bucket AND w.key = v.key))`

/**
 * makeRoomForVersion prepares a key for a new current version and returns the new version's id (call inside a
 * transaction). Unless versioning is enabled the new version is `null` and replaces the key's null version
 * wherever it is; the current object row, if any remains, becomes noncurrent. Throws only on database errors.
 */
export function makeRoomForVersion(meta: MetaStore, bucket: string, key: string): string {
  const status = versioningOf(meta, bucket)
  if (status !== 'Enabled') dropVersionRow(meta, bucket, key, NULL_VERSION)
  demoteCurrent(meta, bucket, key)
  return status === 'Enabled' ? randomUUID() : NULL_VERSION
}

/** demoteCurrent moves a key's current object row, if any, to the noncurrent versions (inside a transaction). */
function demoteCurrent(meta: MetaStore, bucket: string, key: string): void {
  const moved = meta.db.prepare(`INSERT INTO object_versions(${COLUMNS}, delete_marker)
    SELECT ${COLUMNS}, 0 FROM objects WHERE bucket = ? AND key = ?`).run(bucket, key)
  if (moved.changes > 0) meta.db.prepare('DELETE FROM objects WHERE bucket = ? AND key = ?').run(bucket, key)
}

/**
 * promoteNewest makes a key's newest remaining version current again after its current one was removed (inside
 * a transaction): when that newest is a delete marker it stays where it is, and the key reads as deleted.
 */
function promoteNewest(meta: MetaStore, bucket: string, key: string): void {
  if (meta.db.prepare('SELECT 1 FROM objects WHERE bucket = ? AND key = ?').get(bucket, key) !== undefined) return
  const newest = meta.db.prepare('SELECT seq, delete_marker FROM object_versions WHERE bucket = ? AND key = ? ORDER BY seq DESC LIMIT 1')
    .get(bucket, key) as { seq: number; delete_marker: number } | undefined
  if (newest === undefined || newest.delete_marker === 1) return
  meta.db.prepare(`INSERT INTO objects(${COLUMNS}) SELECT ${COLUMNS} FROM object_versions WHERE seq = ?`).run(newest.seq)
  meta.db.prepare('DELETE FROM object_versions WHERE seq = ?').run(newest.seq)
}

/**
 * dropVersionRow removes one version of a key for good, wherever it lives, with its blobs (inside a
 * transaction). Returns what was removed, or undefined when there was no such version.
 */
function dropVersionRow(meta: MetaStore, bucket: string, key: string, versionId: string): { deleteMarker: boolean } | undefined {
  const current = meta.db.prepare('SELECT id FROM objects WHERE bucket = ? AND key = ? AND version_id = ?')
    .get(bucket, key, versionId) as { id: string } | undefined
  if (current !== undefined) {
    meta.dropObjectParts(current.id)
    meta.db.prepare('DELETE FROM objects WHERE id = ?').run(current.id)
    return { deleteMarker: false }
  }
  const old = meta.db.prepare('SELECT id, delete_marker FROM object_versions WHERE bucket = ? AND key = ? AND version_id = ?')
    .get(bucket, key, versionId) as { id: string; delete_marker: number } | undefined
  if (old === undefined) return undefined
  meta.dropObjectParts(old.id)
  meta.db.prepare('DELETE FROM object_versions WHERE id = ?').run(old.id)
  return { deleteMarker: old.delete_marker === 1 }
}

/**
 * deleteLatest serves a DELETE without a version id in one durable transaction: on a never-versioned bucket the
 * object goes (as before versioning); otherwise a delete marker becomes the key's latest version (`null` while
 * suspended, replacing the null version). Throws only on database errors.
 */
export function deleteLatest(meta: MetaStore, bucket: string, key: string): DeleteOutcome {
  const status = versioningOf(meta, bucket)
  if (status === undefined) {
    meta.deleteObject(bucket, key)
    return { versionId: undefined, deleteMarker: false }
  }
  const addMarker = (): DeleteOutcome => {
    const versionId = makeRoomForVersion(meta, bucket, key)
    meta.db.prepare(`INSERT INTO object_versions(${COLUMNS}, delete_marker) VALUES (?, ?, ?, ?, 0, 0, '', ?, 0, ?, NULL, NULL, 1)`)
      .run(bucket, key, versionId, randomUUID(), Date.now(), JSON.stringify({ headers: {}, user: {} }))
    return { versionId, deleteMarker: true }
  }
  // Only a suspended bucket's marker frees anything (it replaces the null version): an enabled bucket's only adds a
  // row, and must not spend the space reserve that a DeleteObjectVersion, which frees, will need.
  const outcome = status === 'Suspended' ? freeingTransaction(meta.db, addMarker) : meta.db.transaction(addMarker)()
  void meta.blobs.collect()
  return outcome
}

/**
 * deleteVersion removes one version (an object version or a delete marker) for good in one durable transaction;
 * the newest remaining version becomes current if the removed one was. Throws only on database errors.
 */
export function deleteVersion(meta: MetaStore, bucket: string, key: string, versionId: string): DeleteOutcome {
  const outcome = freeingTransaction(meta.db, (): DeleteOutcome => {
    const dropped = dropVersionRow(meta, bucket, key, versionId)
    if (dropped === undefined) return { versionId: undefined, deleteMarker: false }
    promoteNewest(meta, bucket, key)
    return { versionId, deleteMarker: dropped.deleteMarker }
  })
  void meta.blobs.collect()
  return outcome
}

/** getVersion returns one version of a key (a delete marker included), or undefined; throws only on database errors. */
export function getVersion(meta: MetaStore, bucket: string, key: string, versionId: string): VersionRow | undefined {
  const current = meta.db.prepare(`SELECT ${COLUMNS}, 0 AS delete_marker, ${CURRENT_SEQ} AS seq, 1 AS is_latest FROM objects
    WHERE bucket = ? AND key = ? AND version_id = ?`).get(bucket, key, versionId) as RawVersion | undefined
  if (current !== undefined) return toVersion(current)
  const old = meta.db.prepare(`SELECT ${COLUMNS}, delete_marker, seq, ${IS_LATEST_SQL} AS is_latest FROM object_versions v
    WHERE v.bucket = ? AND v.key = ? AND v.version_id = ?`).get(bucket, key, versionId) as RawVersion | undefined
  return old === undefined ? undefined : toVersion(old)
}

/** latestDeleteMarker returns a key's latest version when that is a delete marker; throws only on database errors. */
export function latestDeleteMarker(meta: MetaStore, bucket: string, key: string): VersionRow | undefined {
  if (meta.db.prepare('SELECT 1 FROM objects WHERE bucket = ? AND key = ?').get(bucket, key) !== undefined) return undefined
  const r = meta.db.prepare('SELECT *, 1 AS is_latest FROM object_versions WHERE bucket = ? AND key = ? ORDER BY seq DESC LIMIT 1')
    .get(bucket, key) as RawVersion | undefined
  return r === undefined || r.delete_marker !== 1 ? undefined : toVersion(r)
}

/** A position in a version listing: after key's versions newer than (or as new as) seq; seq undefined = all of key. */
export interface VersionCursor {
  key: string
  seq: number | undefined
  /** With no seq: the versions of `key` itself are included (a seek to the first key at or after it). */
  inclusive?: boolean
}

/** isKeyStored tells whether anything is stored under a key: its current object, or any version or delete marker. Throws only on database errors. */
export function isKeyStored(meta: MetaStore, bucket: string, key: string): boolean {
  return meta.getObject(bucket, key) !== undefined
    || meta.db.prepare('SELECT 1 FROM object_versions WHERE bucket = ? AND key = ? LIMIT 1').get(bucket, key) !== undefined
}

/** seqOf finds where a version sorts among its key's versions (for version-id-marker); undefined when unknown. Throws only on database errors. */
export function seqOf(meta: MetaStore, bucket: string, key: string, versionId: string): number | undefined {
  return getVersion(meta, bucket, key, versionId)?.seq
}

/**
 * listVersions returns up to limit versions of a bucket's keys >= prefix after the cursor, by key and then newest
 * first (object versions and delete markers interleaved). Throws only on database errors.
 */
export function listVersions(meta: MetaStore, bucket: string, prefix: string, cursor: VersionCursor, limit: number): VersionRow[] {
  const after = cursor.inclusive === true && cursor.seq === undefined ? '>=' : '>'
  // Three index range scans, each bounded by limit, merged: never a sort of the whole bucket.
  const rows = meta.db.prepare(`SELECT * FROM (
      SELECT * FROM (SELECT ${COLUMNS}, 0 AS delete_marker, ${CURRENT_SEQ} AS seq, 1 AS is_latest FROM objects
        WHERE bucket = @bucket AND key >= @prefix AND key ${after} @key ORDER BY key LIMIT @limit)
      UNION ALL
      SELECT * FROM (SELECT ${COLUMNS}, delete_marker, seq, ${IS_LATEST_SQL} AS is_latest FROM object_versions v
        WHERE v.bucket = @bucket AND v.key = @key AND v.seq < @seq ORDER BY v.seq DESC LIMIT @limit)
      UNION ALL
      SELECT * FROM (SELECT ${COLUMNS}, delete_marker, seq, ${IS_LATEST_SQL} AS is_latest FROM object_versions v
        WHERE v.bucket = @bucket AND v.key >= @prefix AND v.key ${after} @key ORDER BY v.key, v.seq DESC LIMIT @limit))
    ORDER BY key, seq DESC LIMIT @limit`)
    .all({ bucket, prefix, key: cursor.key, seq: cursor.seq ?? -1, limit }) as RawVersion[]
  return rows.map(toVersion)
}
