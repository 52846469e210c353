/**
 * Writes a byte range of an object's stored bytes straight to a response, through a few reused buffers.
 *
 * Why not a read stream piped into the response: `fs.ReadStream` allocates a fresh buffer for every read, and
 * V8 answers that much fresh off-heap memory with full (major) garbage collections, which took about a quarter
 * of the server's CPU on a large GET. Here each read fills a pooled buffer (src/s3/api/buffer-pool.ts) that goes
 * back to the pool once the response's write callback says the socket layer is done with it, so a GET of any
 * size allocates next to nothing. At most {@link IN_FLIGHT} buffers are written at a time: the backpressure.
 *
 * @module
 */
import { open, type FileHandle } from 'node:fs/promises'
import type { Writable } from 'node:stream'
import { giveSpare, POOLED_BUFFER_SIZE, takeSpare } from '../api/buffer-pool.js'
import type { BlobStore } from './blobs.js'
import type { PartRow } from './meta.js'
import { blobRanges } from './reader.js'

/** Buffers handed to the response and not yet called back (2 MiB with 512 KiB buffers). */
const IN_FLIGHT = 4

/** The connection ended before the range was written. */
export class ResponseClosedError extends Error {
  constructor() {
    super('the response closed before the object was written')
    this.name = 'ResponseClosedError'
  }
}

/**
 * writeRange writes stored bytes [start, end] (inclusive) of the concatenated parts to `out`, pinning the
 * blobs while it reads. It does not end `out`. Throws an I/O error (a blob missing or shorter than its row
 * says) or ResponseClosedError when `out` is destroyed or closed first; the caller then drops the connection.
 */
export async function writeRange(blobs: BlobStore, parts: PartRow[], start: number, end: number, out: Writable): Promise<void> {
  const ids = parts.map((p) => p.blob)
  blobs.retain(ids)
  const writes = new InFlightWrites(out)
  try {
    for (const { blob, from, to } of blobRanges(parts, start, end)) {
      const file = await open(blobs.path(blob), 'r')
      try {
        await writePart(file, from, to, writes)
      } finally {
        await file.close()
      }
    }
    await writes.drain()
  } finally {
    writes.abandonPending()
    blobs.release(ids)
  }
}

/** writePart writes bytes [from, to] (inclusive) of one blob file. Throws on I/O errors and short files. */
async function writePart(file: FileHandle, from: number, to: number, writes: InFlightWrites): Promise<void> {
  for (let pos = from; pos <= to;) {
    await writes.room()
    const spare = takeSpare()
    const buf = Buffer.from(spare)
    let bytesRead: number
    try {
      ;({ bytesRead } = await file.read(buf, 0, Math.min(POOLED_BUFFER_SIZE, to - pos + 1), pos))
    } catch (err) {
      giveSpare(spare)
      throw err
    }
    if (bytesRead === 0) {
      giveSpare(spare)
      throw new Error(`blob ends at byte ${pos}, before the stored size`)
    }
    writes.write(spare, buf.subarray(0, bytesRead))
    pos += bytesRead
  }
}

/** The writes handed to `out` whose callbacks have not come yet, oldest first. */
class InFlightWrites {
  private readonly pending: Array<{ spare: ArrayBuffer; done: Promise<void> }> = []
  private readonly closed: Promise<never>

  constructor(private readonly out: Writable) {
    // A response that closes (client gone) may never call back its writes: waiting ends there too.
    this.closed = new Promise((_, reject) => {
      const fail = (): void => reject(new ResponseClosedError())
      if (out.destroyed) fail()
      else out.once('close', fail)
    })
    this.closed.catch(() => undefined)
  }

  /** write hands `chunk` (a view of the pooled `spare`) to the response. Never throws. */
  write(spare: ArrayBuffer, chunk: Buffer): void {
    const done = new Promise<void>((resolve, reject) => {
      this.out.write(chunk, (err) => (err ? reject(err) : resolve()))
    })
    done.catch(() => undefined)
    this.pending.push({ spare, done })
  }

  /** room waits until fewer than IN_FLIGHT writes are pending, returning the written buffers to the pool. */
  async room(): Promise<void> {
    while (this.pending.length >= IN_FLIGHT) await this.settleOldest()
  }

  /** drain waits for every pending write. Throws the first write error or ResponseClosedError. */
  async drain(): Promise<void> {
    while (this.pending.length > 0) await this.settleOldest()
  }

  /**
   * abandonPending forgets writes that never called back (the response failed): their buffers may still be
   * referenced by the socket layer, so they go to the garbage collector, never back to the pool.
   */
  abandonPending(): void {
    this.pending.length = 0
  }

  private async settleOldest(): Promise<void> {
    const oldest = this.pending[0]!
    await Promise.race([oldest.done, this.closed])
    this.pending.shift()
    giveSpare(oldest.spare)
  }
}
