/**
 * A few MiB of the data directory's file system held back for deletes. On a full disk SQLite cannot commit even a
 * DELETE (its WAL must grow, and a checkpoint cannot move the WAL into a database file that cannot grow either),
 * so without a reserve the operator could not free space through S3 at all. A delete that fails with SQLITE_FULL
 * removes the reserve file and runs once more; blob files dropped by the delete are unlinked after its commit,
 * and the reserve is laid down again once the file system has room for it twice over.
 *
 * Deleting blob files before the commit would free space too, but a commit that then failed would leave rows
 * pointing at files that are gone: never.
 *
 * @module
 */
import { randomFillSync } from 'node:crypto'
import { closeSync, openSync, statfsSync, statSync, unlinkSync, writeSync } from 'node:fs'
import { dirname, join } from 'node:path'
// The handle's type from the driver: db.ts opens the database and lays the reserve down, so no import back.
import type Database from 'better-sqlite3'

/** RESERVE_FILE is the reserve's file name inside DATA_DIR. */
export const RESERVE_FILE = 'keyhold-s3.db-reserve'
/** How much is held back: a delete's WAL frames take a few pages; this covers thousands of them. */
export const RESERVE_BYTES = 4 * 1024 * 1024

/**
 * ensureReserve lays down the reserve in `dataDir` unless it is there, when the file system has at least twice
 * its size free (so laying it down never takes the last free space). Returns whether it is in place. Throws nothing.
 */
export function ensureReserve(dataDir: string): boolean {
  const path = join(dataDir, RESERVE_FILE)
  try {
    if (statSync(path).size >= RESERVE_BYTES) return true
  } catch {
    // missing: laid down below
  }
  try {
    const fs = statfsSync(dataDir)
    if (fs.bavail * fs.bsize < 2 * RESERVE_BYTES) return false
    const fd = openSync(path, 'w', 0o600)
    try {
      // Random bytes, not zeros: a file system that compresses (ZFS, btrfs) would store zeros in next to no space,
      // and removing them would free next to nothing.
      const chunk = randomFillSync(Buffer.alloc(1024 * 1024))
      for (let written = 0; written < RESERVE_BYTES; written += chunk.length) writeSync(fd, chunk)
    } finally {
      closeSync(fd)
    }
    return true
  } catch {
    // Raced into a full disk: a partial reserve would only mislead the next check.
    releaseReserve(dataDir)
    return false
  }
}

/** releaseReserve removes the reserve file; returns whether there was one. Throws nothing. */
export function releaseReserve(dataDir: string): boolean {
  try {
    unlinkSync(join(dataDir, RESERVE_FILE))
    return true
  } catch {
    return false
  }
}

/**
 * freeingTransaction runs `fn` as a transaction of `db`; when the disk is full (SQLITE_FULL) it releases the
 * reserve of the database's directory and runs it once more. For deletes only: what frees space must not be
 * refused for want of it. Nested in an outer transaction it is a plain one (the outer decides). Throws what
 * `fn` throws, or the database's error.
 */
export function freeingTransaction<T>(db: Database.Database, fn: () => T): T {
  const transaction = db.transaction(fn)
  try {
    return transaction()
  } catch (err) {
    if (db.inTransaction || (err as { code?: unknown }).code !== 'SQLITE_FULL' || !releaseReserve(dirname(db.name))) throw err
    return transaction()
  }
}
