/**
 * Streams a payload into a new blob file: payload → (optional cipher transform) → byte counter → file, then
 * fsync. Backpressure flows end to end, so memory stays flat whatever the size. On any failure the blob is
 * removed and the error (an S3Error from the body checks, or an I/O error) is rethrown.
 *
 * @module
 */
import { Transform, type Readable, type TransformCallback } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { BlobStore } from './blobs.js'

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
    if (transform !== undefined) await pipeline(source, transform, counter, stream)
    else await pipeline(source, stream)
    await blobs.sync(id)
  } catch (err) {
    stream.destroy()
    await blobs.abandon(id)
    throw err
  }
  // Without a transform the stored bytes are the written bytes.
  return { blob: id, storedSize: transform !== undefined ? counter.bytes : stream.bytesWritten }
}
