/**
 * Blob files: object and part bytes under DATA_DIR/blobs/<xx>/<id>, named by generated ids (never by keys, so
 * no name can escape DATA_DIR). A blob is registered in pending_blobs before its file is created and leaves
 * that table in the transaction that makes it referenced; unreferenced blobs go to garbage_blobs in the
 * transaction that drops them and are unlinked after commit, unless a reader still holds them.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { createReadStream, mkdirSync, type ReadStream } from 'node:fs'
import { open, unlink, type FileHandle } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { DB } from './db.js'
import { ensureReserve, freeingTransaction } from './space-reserve.js'

const READ_CHUNK = 1024 * 1024
/** Garbage rows read at a time by a collection. */
const GARBAGE_PAGE = 1000

/** BlobStore manages blob files and their pending/garbage bookkeeping. */
/**
 * wholeUnits is the largest multiple of `unit` not above `size`, or `size` itself when `unit` is larger (a
 * read of whole units, so that a decrypter never has to keep a unit split between two reads). Throws nothing.
 */
export function wholeUnits(size: number, unit: number): number {
  return unit > 1 && unit <= size ? size - (size % unit) : size
}

export class BlobStore {
  private readonly root: string
  private readonly readers = new Map<string, number>()
  private readonly insertPending
  private readonly deletePending
  private readonly insertGarbage
  private readonly deleteGarbage
  private readonly selectGarbage
  private collecting: Promise<void> | undefined
  private collectAgain = false

  /** Creates the store over dataDir (creates blobs/ and its 256 fan-out dirs); throws on I/O errors. */
  constructor(dataDir: string, private readonly db: DB) {
    this.root = join(dataDir, 'blobs')
    for (let i = 0; i < 256; i++) mkdirSync(join(this.root, i.toString(16).padStart(2, '0')), { recursive: true })
    this.insertPending = db.prepare('INSERT INTO pending_blobs(blob) VALUES (?)')
    this.deletePending = db.prepare('DELETE FROM pending_blobs WHERE blob = ?')
    this.insertGarbage = db.prepare('INSERT OR IGNORE INTO garbage_blobs(blob) VALUES (?)')
    this.deleteGarbage = db.prepare('DELETE FROM garbage_blobs WHERE blob = ?')
    this.selectGarbage = db.prepare('SELECT blob FROM garbage_blobs WHERE blob > ? ORDER BY blob LIMIT ?')
  }

  /** path returns the file of a blob id. */
  path(id: string): string {
    return join(this.root, id.slice(0, 2), id)
  }

  /** create registers a new pending blob and creates its file (exclusively) for writing; throws on I/O errors. */
  async create(): Promise<{ id: string; file: FileHandle }> {
    const id = randomBytes(16).toString('hex')
    // The pending row needs no fsync of its own: it survives a process crash as is (WAL), and the object's
    // FULL commit later flushes it too. Losing it to a power cut would only leak one unreferenced file.
    this.db.pragma('synchronous = NORMAL')
    try {
      this.insertPending.run(id)
    } finally {
      this.db.pragma('synchronous = FULL')
    }
    try {
      return { id, file: await open(this.path(id), 'wx') }
    } catch (err) {
      await this.abandon(id)
      throw err
    }
  }

  /**
   * sync makes a written blob durable: fsyncs the file (through `file` if still open, else reopened) and its
   * directory. Call after the writes finished. Throws on I/O errors.
   */
  async sync(id: string, file?: FileHandle): Promise<void> {
    if (file !== undefined) {
      await file.sync()
    } else {
      const fh = await open(this.path(id), 'r')
      try {
        await fh.sync()
      } finally {
        await fh.close()
      }
    }
    const dir = await open(join(this.root, id.slice(0, 2)), 'r')
    try {
      await dir.sync()
    } finally {
      await dir.close()
    }
  }

  /** adopt marks a pending blob as referenced; call inside the transaction that references it. */
  adopt(id: string): void {
    this.deletePending.run(id)
  }

  /** discard schedules blobs for deletion; call inside the transaction that drops their references. */
  discard(ids: Iterable<string>): void {
    for (const id of ids) this.insertGarbage.run(id)
  }

  /** abandon deletes a pending blob that will never be referenced (failed write); never throws. */
  async abandon(id: string): Promise<void> {
    await unlink(this.path(id)).catch(() => undefined)
    try {
      this.deletePending.run(id)
    } catch {
      // Left in pending_blobs: start-up removes it.
    }
  }

  /** retain pins blobs against deletion while a reader streams them. */
  retain(ids: string[]): void {
    for (const id of ids) this.readers.set(id, (this.readers.get(id) ?? 0) + 1)
  }

  /**
   * pin retains `ids` and returns their release, which acts once however often it is called (a stream's end
   * and its close may both call it). Throws nothing.
   */
  pin(ids: string[]): () => void {
    this.retain(ids)
    let pinned = true
    return () => {
      if (!pinned) return
      pinned = false
      this.release(ids)
    }
  }

  /** release unpins blobs and deletes those that became garbage meanwhile. */
  release(ids: string[]): void {
    for (const id of ids) {
      const n = (this.readers.get(id) ?? 1) - 1
      if (n <= 0) this.readers.delete(id)
      else this.readers.set(id, n)
    }
    void this.collect()
  }

  /**
   * read streams a byte range (inclusive) of a blob, in chunks of a whole number of `unit`s when given (DARE
   * packages, so that a decrypter need not copy a package split between chunks).
   */
  read(id: string, start: number, end: number, unit = 1): ReadStream {
    // 1 MiB reads: 4 MiB ones saved some event-loop CPU per GiB at concurrency 8 but raised the peak RSS of
    // a 1 GiB GET from ~160 to ~240 MiB (fresh 4 MiB buffers outrun the garbage collector).
    return createReadStream(this.path(id), { start, end, highWaterMark: wholeUnits(READ_CHUNK, unit) })
  }

  /**
   * collect unlinks garbage blobs no reader holds; never throws (errors leave rows for the next run). Calls
   * while one runs join it, and it goes over the table once more after them: every write and every reader's
   * release asks for a collection, and one pass at a time is enough.
   */
  collect(): Promise<void> {
    if (this.collecting !== undefined) {
      this.collectAgain = true
      return this.collecting
    }
    this.collecting = (async () => {
      do {
        this.collectAgain = false
        await this.collectOnce()
      } while (this.collectAgain)
      // A delete on a full disk may have spent the reserve: lay it down again once the freed files allow.
      if (this.db.open) ensureReserve(dirname(this.root))
    })().finally(() => (this.collecting = undefined))
    return this.collecting
  }

  private async collectOnce(): Promise<void> {
    // Page by name, past the pinned rows: blobs a long read holds must not keep the others on disk.
    let after = ''
    for (;;) {
      // A reader may finish after the server closed the database (a client still draining a GET at shutdown).
      if (!this.db.open) return
      let rows: Array<{ blob: string }>
      try {
        rows = this.selectGarbage.all(after, GARBAGE_PAGE) as Array<{ blob: string }>
      } catch {
        return
      }
      for (const { blob } of rows) {
        if (this.readers.has(blob) || !this.db.open) continue
        try {
          await unlink(this.path(blob)).catch((err: NodeJS.ErrnoException) => {
            if (err.code !== 'ENOENT') throw err
          })
          this.deleteGarbage.run(blob)
        } catch {
          // Retried at the next collection.
        }
      }
      if (rows.length < GARBAGE_PAGE) return
      after = rows[rows.length - 1]!.blob
    }
  }

  /** recover deletes every pending blob left by a crash and collects garbage; throws on database errors. */
  async recover(): Promise<number> {
    const rows = this.db.prepare('SELECT blob FROM pending_blobs').all() as Array<{ blob: string }>
    for (const { blob } of rows) {
      await unlink(this.path(blob)).catch(() => undefined)
      // A start-up after a crash on a full disk must not fail on forgetting what it just removed.
      freeingTransaction(this.db, () => this.deletePending.run(blob))
    }
    await this.collect()
    return rows.length
  }
}
