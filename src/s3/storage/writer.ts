/**
 * Streams a payload into a new blob file: payload → (optional cipher transform) → file, then fsync.
 * Backpressure flows end to end, so memory stays flat whatever the size. On any failure the blob is removed
 * and the error (an S3Error from the body checks, or an I/O error) is rethrown.
 *
 * @module
 */
import type { FileHandle } from 'node:fs/promises'
import { Writable, type Readable, type Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { releasePooled } from '../api/buffer-pool.js'
import type { BlobStore } from './blobs.js'

const EARLY_SYNC_BYTES = 32 * 1024 * 1024

/**
 * BlobFileSink writes a stream into an open blob file. Whatever is buffered goes out in one positional
 * writev (fewer, larger syscalls than a write per chunk); every 32 MiB it starts an fdatasync without
 * waiting, so the disk flushes in parallel with the network and the final fsync (which makes the object
 * durable) has little left to do; written buffers are released to the pool ({@link releasePooled}).
 */
class BlobFileSink extends Writable {
  /** Bytes written to the file. */
  bytes = 0
  /**
   * The new blob, created at once (not when the first byte arrives) so the caller can always clean it up,
   * while the stream is attached to its source synchronously: a body check that fails early must find a
   * listener for its error.
   */
  readonly opened: Promise<{ id: string; file: FileHandle }>
  private file!: FileHandle
  private sinceSync = 0
  private syncing: Promise<void> | undefined
  private syncError: Error | undefined

  constructor(blobs: BlobStore) {
    super({ highWaterMark: 2 * 1024 * 1024 })
    this.opened = blobs.create()
    // Handled by _construct and writeBlob; this only keeps a failed create from counting as unhandled.
    this.opened.catch(() => undefined)
  }

  override _construct(cb: (err?: Error | null) => void): void {
    this.opened.then((o) => {
      this.file = o.file
      cb()
    }, cb)
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.writeAll([chunk]).then(() => cb(), cb)
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (err?: Error | null) => void): void {
    this.writeAll(chunks.map((c) => c.chunk)).then(() => cb(), cb)
  }

  override _final(cb: (err?: Error | null) => void): void {
    // A failed early fdatasync may leave pages marked clean though never written: it fails the blob.
    void (this.syncing ?? Promise.resolve()).then(() => cb(this.syncError ?? null))
  }

  private async writeAll(bufs: Buffer[]): Promise<void> {
    let rest = bufs
    let total = 0
    for (const b of bufs) total += b.length
    for (let left = total; left > 0;) {
      const { bytesWritten } = await this.file.writev(rest, this.bytes)
      if (bytesWritten <= 0) throw new Error('blob write made no progress')
      this.bytes += bytesWritten
      left -= bytesWritten
      rest = skipBytes(rest, bytesWritten)
    }
    for (const b of bufs) releasePooled(b)
    this.sinceSync += total
    if (this.sinceSync >= EARLY_SYNC_BYTES && this.syncing === undefined) {
      this.sinceSync = 0
      this.syncing = this.file.datasync().catch((err: Error) => {
        this.syncError ??= err
      }).finally(() => {
        this.syncing = undefined
      })
    }
  }
}

/** skipBytes drops the first n bytes of a buffer list (after a partial write). */
function skipBytes(bufs: Buffer[], n: number): Buffer[] {
  let i = 0
  while (i < bufs.length && n >= bufs[i]!.length) n -= bufs[i++]!.length
  const rest = bufs.slice(i)
  if (n > 0 && rest.length > 0) rest[0] = rest[0]!.subarray(n)
  return rest
}

/** A blob written and synced, still pending until a metadata commit adopts it. */
export interface WrittenBlob {
  blob: string
  storedSize: number
}

/**
 * writeBlob writes source (through transform, if any) into a new durable blob. Throws whatever the stream
 * stages throw (S3Error for body checks) or an I/O error; the blob is abandoned then.
 */
export async function writeBlob(blobs: BlobStore, source: Readable, transform?: Transform): Promise<WrittenBlob> {
  const sink = new BlobFileSink(blobs)
  try {
    if (transform !== undefined) await pipeline(source, transform, sink)
    else await pipeline(source, sink)
    const { id, file } = await sink.opened
    await blobs.sync(id, file)
    await file.close()
    return { blob: id, storedSize: sink.bytes }
  } catch (err) {
    // create() already cleaned up after itself if it failed.
    const opened = await sink.opened.catch(() => undefined)
    if (opened !== undefined) {
      await opened.file.close().catch(() => undefined)
      await blobs.abandon(opened.id)
    }
    throw err
  }
}
