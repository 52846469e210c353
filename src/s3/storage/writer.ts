/**
 * Streams a payload into a new blob file: payload → (optional cipher transform) → byte counter → file, then
 * fsync. Backpressure flows end to end, so memory stays flat whatever the size. On any failure the blob is
 * removed and the error (an S3Error from the body checks, or an I/O error) is rethrown.
 *
 * @module
 */
import { fdatasync, type WriteStream } from 'node:fs'
import { Transform, type Readable, type TransformCallback } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { BlobStore } from './blobs.js'

const EARLY_SYNC_BYTES = 32 * 1024 * 1024

/**
 * Starts an fdatasync of the file every 32 MiB while bytes still arrive, so the disk flushes in parallel with
 * the network and the final fsync (which makes the object durable) has little left to do. Never waits.
 */
class EarlySync extends Transform {
  private sinceSync = 0
  private syncing = false
  constructor(private readonly file: WriteStream) {
    super({ highWaterMark: 1 << 20 })
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.sinceSync += chunk.length
    const fd = (this.file as unknown as { fd: number | null }).fd
    if (this.sinceSync >= EARLY_SYNC_BYTES && !this.syncing && typeof fd === 'number') {
      this.sinceSync = 0
      this.syncing = true
      fdatasync(fd, () => {
        this.syncing = false
      })
    }
    cb(null, chunk)
  }
}

class Counter extends Transform {
  bytes = 0
  constructor() {
    super({ highWaterMark: 1 << 20 })
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length
    cb(null, chunk)
  }
}

/** A blob written and synced, still pending until a metadata commit adopts it. */
export interface WrittenBlob {
  blob: string
  storedSize: number
}

/**
 * writeBlob writes source (through transform, if any) into a new durable blob. Throws whatever the stream
 * stages throw (S3Error for body checks); the blob is abandoned then.
 */
export async function writeBlob(blobs: BlobStore, source: Readable, transform?: Transform): Promise<WrittenBlob> {
  const { id, stream } = blobs.create()
  const counter = new Counter()
  try {
    if (transform !== undefined) await pipeline(source, transform, counter, new EarlySync(stream), stream)
    else await pipeline(source, new EarlySync(stream), stream)
    await blobs.sync(id)
  } catch (err) {
    stream.destroy()
    await blobs.abandon(id)
    throw err
  }
  // Without a transform the stored bytes are the written bytes.
  return { blob: id, storedSize: transform !== undefined ? counter.bytes : stream.bytesWritten }
}
