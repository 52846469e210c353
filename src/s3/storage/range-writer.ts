/**
 * Writes a byte range of an object's stored bytes straight to a response, through a few reused buffers, and
 * through the read plan's decrypter when the object is encrypted.
 *
 * Why not a read stream piped into the response: `fs.ReadStream` allocates a fresh buffer for every read, and
 * V8 answers that much fresh off-heap memory with full (major) garbage collections, which took about a quarter
 * of the server's CPU on a large GET. Here each read fills a pooled buffer (src/s3/api/buffer-pool.ts) that goes
 * back to the pool once the response's write callback says the socket layer is done with it, so a GET of any
 * size allocates next to nothing. An encrypted GET reads the same way and copies the plaintext (fresh buffers
 * from node:crypto, which die young that way) into pooled buffers for the response. At most a few buffers are
 * written at a time: the backpressure (in-flight-writes.ts).
 *
 * @module
 */
import { open, type FileHandle } from 'node:fs/promises'
import type { Writable } from 'node:stream'
import type { ChunkDecrypter } from '../extensions.js'
import { giveSpare, POOLED_BUFFER_SIZE, takeSpare } from '../api/buffer-pool.js'
import { wholeUnits, type BlobStore } from './blobs.js'
import { InFlightWrites } from './in-flight-writes.js'
import type { PartRow } from './meta.js'
import { blobRanges } from './reader.js'

export { ResponseClosedError } from './in-flight-writes.js'

/** Where the bytes read go: to the response as they are, or through a decrypter. */
interface ChunkSink {
  /** Bytes per read (at most a pooled buffer). */
  readonly readSize: number
  room(): Promise<void>
  /** take owns `spare` (the pooled memory of `chunk`) from here on. Throws what a decrypter throws. */
  take(spare: ArrayBuffer, chunk: Buffer): void
  /** end writes what is held back. Throws what a decrypter throws. */
  end(): void
}

/**
 * writeRange writes stored bytes [start, end] (inclusive) of the concatenated parts to `out`, decrypted by
 * `decrypter` when given, pinning the blobs while it reads. It does not end `out`. Throws an I/O error (a blob
 * missing or shorter than its row says), the decrypter's error, or ResponseClosedError when `out` is destroyed
 * or closed first; the caller then drops the connection.
 */
export async function writeRange(
  blobs: BlobStore, parts: PartRow[], start: number, end: number, out: Writable, decrypter?: ChunkDecrypter,
): Promise<void> {
  const ids = parts.map((p) => p.blob)
  blobs.retain(ids)
  const writes = new InFlightWrites(out)
  const sink = decrypter === undefined ? storedSink(writes) : new DecryptingSink(decrypter, writes)
  try {
    for (const { blob, from, to } of blobRanges(parts, start, end)) {
      const file = await open(blobs.path(blob), 'r')
      try {
        await writePart(file, from, to, sink)
      } finally {
        await file.close()
      }
    }
    sink.end()
    await writes.drain()
  } finally {
    writes.abandonPending()
    blobs.release(ids)
  }
}

/** writePart reads bytes [from, to] (inclusive) of one blob file into `sink`. Throws on I/O errors and short files. */
async function writePart(file: FileHandle, from: number, to: number, sink: ChunkSink): Promise<void> {
  for (let pos = from; pos <= to;) {
    await sink.room()
    const spare = takeSpare()
    const buf = Buffer.from(spare)
    let bytesRead: number
    try {
      ;({ bytesRead } = await file.read(buf, 0, Math.min(sink.readSize, to - pos + 1), pos))
    } catch (err) {
      giveSpare(spare)
      throw err
    }
    if (bytesRead === 0) {
      giveSpare(spare)
      throw new Error(`blob ends at byte ${pos}, before the stored size`)
    }
    sink.take(spare, buf.subarray(0, bytesRead))
    pos += bytesRead
  }
}

/** storedSink hands each read buffer to the response as it is. */
function storedSink(writes: InFlightWrites): ChunkSink {
  return { readSize: POOLED_BUFFER_SIZE, room: () => writes.room(), take: (spare, chunk) => writes.write(spare, chunk), end: () => undefined }
}

/**
 * DecryptingSink decrypts each read buffer, which goes straight back to the pool (the decrypter keeps no
 * reference), and gathers the plaintext in pooled buffers that go to the response as they fill.
 */
class DecryptingSink implements ChunkSink {
  readonly readSize: number
  private spare: ArrayBuffer | undefined
  private buf: Buffer | undefined
  private used = 0
  private readonly emit = (plaintext: Buffer): void => this.copy(plaintext)

  constructor(private readonly decrypter: ChunkDecrypter, private readonly writes: InFlightWrites) {
    // Whole units per read: a unit split between reads would be copied to survive the buffer's reuse.
    this.readSize = wholeUnits(POOLED_BUFFER_SIZE, decrypter.unit ?? 1)
  }

  room(): Promise<void> {
    return this.writes.room()
  }

  take(spare: ArrayBuffer, chunk: Buffer): void {
    try {
      this.decrypter.push(chunk, this.emit)
    } finally {
      giveSpare(spare)
    }
  }

  end(): void {
    this.decrypter.end(this.emit)
    this.flush()
  }

  private copy(plaintext: Buffer): void {
    for (let off = 0; off < plaintext.length;) {
      if (this.buf === undefined) {
        this.spare = takeSpare()
        this.buf = Buffer.from(this.spare)
      }
      const n = plaintext.copy(this.buf, this.used, off)
      this.used += n
      off += n
      if (this.used === this.buf.length) this.flush()
    }
  }

  private flush(): void {
    if (this.spare !== undefined) {
      if (this.used > 0) this.writes.write(this.spare, this.buf!.subarray(0, this.used))
      else giveSpare(this.spare)
    }
    this.spare = undefined
    this.buf = undefined
    this.used = 0
  }
}
