/**
 * The IAM database: its own SQLite file next to the object metadata (better-sqlite3, WAL,
 * synchronous=FULL), so every change is one durable transaction and nothing is half-written.
 *
 * @module
 */
import Database from 'better-sqlite3'
import { join } from 'node:path'

/** IamDB is the database handle type. */
export type IamDB = Database.Database

/** IAM_DB_FILE is the database's file name inside the data directory. */
export const IAM_DB_FILE = 'keyhold-s3-iam.db'

// Secrets are opaque strings here: the IAM layer seals them (KMS) before they reach the store.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS users(
  access_key TEXT PRIMARY KEY, secret TEXT NOT NULL, status TEXT NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS groups(
  name TEXT PRIMARY KEY, status TEXT NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS group_members(
  group_name TEXT NOT NULL REFERENCES groups(name) ON DELETE CASCADE,
  access_key TEXT NOT NULL REFERENCES users(access_key) ON DELETE CASCADE,
  PRIMARY KEY(group_name, access_key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS policies(
  name TEXT PRIMARY KEY, document TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS policy_mappings(
  entity TEXT NOT NULL, is_group INTEGER NOT NULL, policies TEXT NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY(entity, is_group)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS service_accounts(
  access_key TEXT PRIMARY KEY, secret TEXT NOT NULL, parent TEXT NOT NULL, status TEXT NOT NULL,
  session_policy TEXT, name TEXT NOT NULL, description TEXT NOT NULL, expiration INTEGER,
  created_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS service_accounts_by_parent ON service_accounts(parent);
`

/** openIamDatabase opens (creating if needed) the IAM database in dataDir. Throws on I/O errors or corruption. */
export function openIamDatabase(dataDir: string): IamDB {
  const db = new Database(join(dataDir, IAM_DB_FILE))
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.pragma('busy_timeout = 5000')
  db.pragma('foreign_keys = ON')
  db.exec(SCHEMA)
  return db
}
