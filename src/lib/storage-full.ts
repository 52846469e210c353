/**
 * Tells a full file system from other failures: keyhold-s3 answers a write refused for want of space as MinIO
 * answers it (507 XMinioStorageFull, which clients and operators recognise: delete something) rather than as a
 * 500 InternalError, which reads like a bug and invites retries that cannot succeed; the data-dir lock
 * (file-lock.ts) takes a stale lock over in place when it has no room for a new file.
 *
 * @module
 */

/**
 * The error codes of a full file system: no space (ENOSPC), a quota reached (EDQUOT), and SQLite's own report
 * of either when it could not grow the database, its WAL or its journal (better-sqlite3's SQLITE_FULL).
 */
const FULL_CODES = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL'])

/** How deep a chain of `cause`s is followed: wrappers nest a level or two, never more. */
const MAX_CAUSES = 4

/** isStorageFull tells whether `err`, or an error it wraps as its `cause`, reports a full file system. Throws nothing. */
export function isStorageFull(err: unknown): boolean {
  let e: unknown = err
  for (let depth = 0; depth <= MAX_CAUSES && e instanceof Error; depth++) {
    const code = (e as NodeJS.ErrnoException).code
    if (typeof code === 'string' && FULL_CODES.has(code)) return true
    e = e.cause
  }
  return false
}
