/**
 * The SQLite metadata database of keyhold-s3 (better-sqlite3, WAL, synchronous=FULL so a commit is durable
 * when it returns). Objects reference blob files by generated id; pending_blobs and garbage_blobs track files
 * that are being written or are no longer referenced, so a crash at any point leaves nothing behind after
 * the next start-up. `objects` holds each key's current version unless that is a delete marker; every other
 * version (noncurrent ones, delete markers) lives in `object_versions`, ordered by seq (newest last), so
 * listings of current objects read one table as they did before versioning.
 *
 * @module
 */
import Database from 'better-sqlite3'
import { join } from 'node:path'
import { ensureReserve } from './space-reserve.js'

/** DB is the database handle type. */
export type DB = Database.Database

const SCHEMA = `
CREATE TABLE IF NOT EXISTS buckets(name TEXT PRIMARY KEY, created INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bucket_config(
  bucket TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY(bucket, name)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS objects(
  bucket TEXT NOT NULL, key TEXT NOT NULL, id TEXT NOT NULL UNIQUE,
  size INTEGER NOT NULL, stored_size INTEGER NOT NULL, etag TEXT NOT NULL, mtime INTEGER NOT NULL,
  multipart INTEGER NOT NULL, meta TEXT NOT NULL, checksum TEXT, internal TEXT, version_id TEXT NOT NULL DEFAULT 'null',
  PRIMARY KEY(bucket, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS object_parts(
  object_id TEXT NOT NULL, idx INTEGER NOT NULL, part_number INTEGER NOT NULL, blob TEXT NOT NULL,
  size INTEGER NOT NULL, stored_size INTEGER NOT NULL, etag TEXT NOT NULL, checksum TEXT,
  PRIMARY KEY(object_id, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS uploads(
  id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key TEXT NOT NULL, initiated INTEGER NOT NULL,
  meta TEXT NOT NULL, checksum_algorithm TEXT, internal TEXT, checksum_type TEXT) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS uploads_by_key ON uploads(bucket, key, initiated);
CREATE TABLE IF NOT EXISTS upload_parts(
  upload_id TEXT NOT NULL, part_number INTEGER NOT NULL, blob TEXT NOT NULL,
  size INTEGER NOT NULL, stored_size INTEGER NOT NULL, etag TEXT NOT NULL, checksum TEXT, mtime INTEGER NOT NULL,
  PRIMARY KEY(upload_id, part_number)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS object_versions(
  seq INTEGER PRIMARY KEY AUTOINCREMENT, bucket TEXT NOT NULL, key TEXT NOT NULL, version_id TEXT NOT NULL,
  id TEXT NOT NULL UNIQUE, size INTEGER NOT NULL, stored_size INTEGER NOT NULL, etag TEXT NOT NULL,
  mtime INTEGER NOT NULL, multipart INTEGER NOT NULL, meta TEXT NOT NULL, checksum TEXT, internal TEXT,
  delete_marker INTEGER NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS object_versions_by_id ON object_versions(bucket, key, version_id);
CREATE INDEX IF NOT EXISTS object_versions_by_key ON object_versions(bucket, key, seq DESC);
CREATE TABLE IF NOT EXISTS pending_blobs(blob TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS garbage_blobs(blob TEXT PRIMARY KEY) WITHOUT ROWID;
`

/** DB_FILE is the database's file name inside DATA_DIR. */
export const DB_FILE = 'keyhold-s3.db'

/**
 * openDatabase opens (creating if needed) the metadata database in dataDir, and lays down the space reserve
 * for deletes on a full disk when there is room (space-reserve.ts); throws on I/O or corruption.
 */
export function openDatabase(dataDir: string): DB {
  const db = new Database(join(dataDir, DB_FILE))
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.pragma('busy_timeout = 5000')
  db.exec(SCHEMA)
  migrate(db)
  ensureReserve(dataDir)
  return db
}

/**
 * migrate brings a database made by an older keyhold-s3 up to SCHEMA (CREATE TABLE IF NOT EXISTS leaves
 * existing tables alone). Each step is idempotent. Throws on database errors.
 */
function migrate(db: DB): void {
  const uploadColumns = new Set((db.pragma('table_info(uploads)') as Array<{ name: string }>).map((c) => c.name))
  // checksum_type: NULL in uploads begun before it existed, which read as their algorithm's default type.
  if (!uploadColumns.has('checksum_type')) db.exec('ALTER TABLE uploads ADD COLUMN checksum_type TEXT')
  const objectColumns = new Set((db.pragma('table_info(objects)') as Array<{ name: string }>).map((c) => c.name))
  // version_id: objects written before versioning existed are their key's `null` version.
  if (!objectColumns.has('version_id')) db.exec("ALTER TABLE objects ADD COLUMN version_id TEXT NOT NULL DEFAULT 'null'")
}
