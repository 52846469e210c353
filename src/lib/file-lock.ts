/**
 * An exclusive lock between processes, as a lock file naming its owner: one writer per audit
 * file, one keyhold-s3 per data directory.
 *
 * Node has no flock(). The lock file is written whole to a temp name and `link()`ed into place,
 * which fails with EEXIST when the lock exists, so a lock file is never seen half-written and two
 * processes never both create it. It holds the owner's {@link ProcessIdentity}. A lock whose owner
 * is provably dead (see processState) is taken over; one whose owner may be alive is refused with
 * its PID. An owner we cannot see (another PID namespace: a container restarted after kill -9, or
 * another host on a shared volume) proves it lives by refreshing the lock's mtime: its lock is
 * stale once that is older than {@link UNSEEN_STALE_MS}. Released on close and on process exit.
 *
 * A full file system (ENOSPC, EDQUOT) must not keep a server from starting over its own stale lock after a crash:
 * that server is what serves the reads and deletes that free space. Taking over a stale lock then rewrites the
 * stale file in place, in the block it already holds, under the same takeover guard (an empty file, which needs no
 * data block either). Only a lock file that does not exist yet needs free space to be created.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { closeSync, existsSync, linkSync, openSync, readFileSync, statSync, unlinkSync, utimesSync, writeSync, fsyncSync } from 'node:fs'
import { currentProcess, processState, type ProcessIdentity } from './process-identity.js'
import { isStorageFull } from './storage-full.js'

/** How often a holder refreshes its lock's mtime. */
const HEARTBEAT_MS = 10_000
/** A lock of an owner we cannot see is stale after this long without a refresh. */
const UNSEEN_STALE_MS = 60_000
/** A takeover guard older than this was left by a process that died taking over. */
const GUARD_STALE_MS = 10_000

/** What a lock file holds. */
export interface LockOwner extends ProcessIdentity {
  /** What holds it, e.g. `keyhold server`. */
  holder: string
  /** ISO time the lock was taken. */
  since: string
  /** Tells our lock from a later owner's when releasing. */
  token: string
}

/** LockHeldError: another live process holds the lock. `owner` is undefined when the lock file is unreadable. */
export class LockHeldError extends Error {
  constructor(
    readonly lockPath: string,
    readonly owner: LockOwner | undefined,
    what: string,
  ) {
    super(
      owner !== undefined
        ? `${what} is in use: lock '${lockPath}' is held by PID ${owner.pid} (${owner.holder} on ${owner.host}, since ${owner.since})`
        : `${what} is in use: lock '${lockPath}' exists but names no owner; remove it if no other process uses it`,
    )
    this.name = 'LockHeldError'
  }
}

/** FileLock: a held lock. */
export interface FileLock {
  readonly path: string
  /** Removes the lock file if it is still ours. Idempotent; throws nothing. */
  release(): void
}

/** Options of {@link acquireFileLock}. */
export interface LockOptions {
  /** Who takes it, written into the lock (e.g. `keyhold server`). */
  holder: string
  /** What the lock protects, for the error message (e.g. `audit file '/var/log/audit.log'`). */
  what: string
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const o = JSON.parse(text) as Partial<LockOwner>
    if (typeof o.pid === 'number' && typeof o.space === 'string' && typeof o.token === 'string') return o as LockOwner
  } catch {
    // fall through
  }
  return undefined
}

function readLock(path: string): { owner: LockOwner | undefined; text: string; mtimeMs: number } | undefined {
  try {
    const text = readFileSync(path, 'utf8')
    return { owner: parseOwner(text), text, mtimeMs: statSync(path).mtimeMs }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

function isStale(lock: { owner: LockOwner | undefined; mtimeMs: number }): boolean {
  if (lock.owner === undefined) return false // never guess about a file we cannot read
  const state = processState(lock.owner)
  return state === 'dead' || (state === 'unknown' && Date.now() - lock.mtimeMs > UNSEEN_STALE_MS)
}

/**
 * writeTemp writes `text` whole and durably to a fresh temp file next to `path` and returns its name. Throws the
 * file system's error (ENOSPC on a full disk), leaving no temp file behind.
 */
function writeTemp(path: string, text: string): string {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  const fd = openSync(tmp, 'wx', 0o600)
  try {
    writeSync(fd, text)
    fsyncSync(fd)
  } catch (err) {
    closeSync(fd)
    unlinkQuiet(tmp)
    throw err
  }
  closeSync(fd)
  return tmp
}

/** linkTemp links a written temp file to `path` and removes the temp name. Throws EEXIST when `path` exists. */
function linkTemp(tmp: string, path: string): void {
  try {
    linkSync(tmp, path)
  } finally {
    unlinkQuiet(tmp)
  }
}

/** linkNew writes `text` to a fresh temp file next to `path` and links it to `path`. Throws EEXIST when `path` exists. */
function linkNew(path: string, text: string): void {
  linkTemp(writeTemp(path, text), path)
}

/**
 * rewriteInPlace overwrites the stale lock file at `path` (`staleText`) with `text`, padded with JSON-neutral
 * spaces to at least the stale length so that one write covers every old byte: no truncation, and no new data
 * block, for the file already holds one. Returns what the file now holds. Throws the file system's error.
 */
function rewriteInPlace(path: string, staleText: string, text: string): string {
  const pad = Math.max(0, Buffer.byteLength(staleText) - Buffer.byteLength(text))
  const padded = `${text.trimEnd()}${' '.repeat(pad)}\n`
  const fd = openSync(path, 'r+')
  try {
    writeSync(fd, padded, 0)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  return padded
}

/**
 * takeOver replaces a stale lock under a guard file, so that two processes finding the same stale
 * lock cannot both remove it (the second would remove the first one's fresh lock). Returns the text of
 * the lock it took, or undefined when another process got there first.
 */
function takeOver(path: string, staleText: string, text: string): string | undefined {
  const guard = `${path}.takeover`
  try {
    // Created empty (O_EXCL does the exclusion): a guard that needs no data block works on a full disk too.
    closeSync(openSync(guard, 'wx', 0o600))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    const age = Date.now() - (readOrZero(() => statSync(guard).mtimeMs))
    if (age > GUARD_STALE_MS) unlinkQuiet(guard)
    return undefined
  }
  try {
    if (readLock(path)?.text !== staleText) return undefined // someone else took over first
    let tmp: string
    try {
      tmp = writeTemp(path, text)
    } catch (err) {
      if (!isStorageFull(err)) throw err
      // No room for a new file: reuse the stale one's. Still under the guard, and the file never goes away,
      // so no other process can take the lock meanwhile.
      return rewriteInPlace(path, staleText, text)
    }
    unlinkQuiet(path)
    linkTemp(tmp, path)
    return text
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return undefined
    throw err
  } finally {
    unlinkQuiet(guard)
  }
}

function readOrZero(f: () => number): number {
  try {
    return f()
  } catch {
    return 0
  }
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path)
  } catch {
    // gone already
  }
}

/**
 * acquireFileLock takes the lock at `path`. Throws LockHeldError when a live (or unprovably dead)
 * process holds it, and the file system's error when the lock file cannot be written (e.g.
 * ENOENT for a missing directory, EACCES, or ENOSPC when there is no lock file yet and the file
 * system is full: a stale one is taken over in place).
 */
export function acquireFileLock(path: string, options: LockOptions): FileLock {
  const owner: LockOwner = { ...currentProcess(), holder: options.holder, since: new Date().toISOString(), token: randomBytes(12).toString('hex') }
  const text = `${JSON.stringify(owner)}\n`
  for (let attempt = 0; ; attempt++) {
    try {
      linkNew(path, text)
      return holdLock(path, text)
    } catch (err) {
      // On a full disk the temp file cannot be written whether or not a lock exists: an existing one is
      // examined (and, stale, taken over in place) as if the link had answered EEXIST.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' && !(isStorageFull(err) && existsSync(path))) throw err
    }
    const held = readLock(path)
    if (held === undefined) continue // released between our link and our read: try again
    if (attempt >= 3 || !isStale(held)) throw new LockHeldError(path, held.owner, options.what)
    const taken = takeOver(path, held.text, text)
    if (taken !== undefined) return holdLock(path, taken)
  }
}

function holdLock(path: string, text: string): FileLock {
  let released = false
  const heartbeat = setInterval(() => {
    try {
      const now = new Date()
      utimesSync(path, now, now)
    } catch {
      // the next start-up decides about a lock it cannot see refreshed
    }
  }, HEARTBEAT_MS)
  heartbeat.unref()
  const release = (): void => {
    if (released) return
    released = true
    clearInterval(heartbeat)
    process.off('exit', release)
    try {
      if (readFileSync(path, 'utf8') === text) unlinkSync(path)
    } catch {
      // gone, or unreadable: not ours to remove
    }
  }
  // A process that exits without closing (an uncaught error, process.exit) still frees the lock;
  // only a kill -9 leaves it, and the next start-up sees that owner dead.
  process.on('exit', release)
  return { path, release }
}
