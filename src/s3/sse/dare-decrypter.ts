/**
 * DARE 2.0 decryption of a sequence of independent DARE streams (the parts of an object), possibly
 * starting mid-stream for a range, as a {@link ChunkDecrypter}: the GET path feeds it the stored bytes
 * from reused buffers (storage/range-writer.ts), a copy reads it through a stream (storage/decrypt-stream.ts).
 *
 * @module
 */
import type { ChunkDecrypter } from '../extensions.js'
import { ByteQueue } from './byte-queue.js'
import { DareError, HEADER_SIZE, MAX_PACKAGE, TAG_SIZE, openPackagePieces, type StreamRef } from './dare.js'

/** One DARE stream (one object part) the decrypter will see, in order. */
export interface DecryptSegment {
  /** The 32-byte key of this part (the object key, or the derived part key). */
  key: Buffer
  /** Sequence number of the first package that arrives. */
  startSeq: number
  /** Exact number of stored bytes of this part that arrive. */
  encBytes: number
  /** True if those bytes run to the end of the part: its last package must then be final. */
  toEnd: boolean
}

/** What a {@link DareDecrypter} decrypts. */
export interface DecryptPlan {
  segments: DecryptSegment[]
  /** Plaintext bytes to drop at the start (range offset within the first package). */
  skip: number
  /** Plaintext bytes to emit in all; the rest is dropped. */
  length: number
}

/**
 * DareDecrypter decrypts stored bytes laid out as `plan.segments` and emits exactly the requested
 * plaintext window. A package is released only after its tag verified, so wrong bytes never leave it;
 * malformed, truncated, reordered or unauthentic input throws a DareError (and the decrypter is then done).
 */
export class DareDecrypter implements ChunkDecrypter {
  readonly unit = MAX_PACKAGE
  private readonly queue = new ByteQueue()
  private index = 0
  private seq: number
  private remaining: number
  private ref: { value?: StreamRef } = {}
  private final = false
  private skip: number
  private left: number

  constructor(private readonly plan: DecryptPlan) {
    this.seq = plan.segments[0]?.startSeq ?? 0
    this.remaining = plan.segments[0]?.encBytes ?? 0
    this.skip = plan.skip
    this.left = plan.length
  }

  /** push decrypts every package `chunk` completes; the rest of a package is copied, `chunk` is not kept. Throws DareError. */
  push(chunk: Buffer, emit: (plaintext: Buffer) => void): void {
    this.queue.push(chunk)
    this.drain(emit)
    this.queue.detach()
  }

  /** end checks that every byte of the plan arrived (push already released every whole package). Throws DareError. */
  end(emit: (plaintext: Buffer) => void): void {
    this.drain(emit)
    if (this.queue.length > 0 || this.index < this.plan.segments.length || this.left > 0) throw new DareError('unexpected EOF')
  }

  private drain(emit: (plaintext: Buffer) => void): void {
    for (;;) {
      const segment = this.plan.segments[this.index]
      if (segment === undefined) {
        if (this.queue.length > 0) throw new DareError('unexpected data after final package')
        return
      }
      if (this.remaining === 0) {
        if (segment.toEnd && !this.final) throw new DareError('unexpected EOF')
        this.nextSegment()
        continue
      }
      if (this.final) throw new DareError('unexpected data after final package')
      if (this.queue.length < HEADER_SIZE) return
      const size = HEADER_SIZE + this.queue.peekUInt16LE(2) + 1 + TAG_SIZE
      if (size > this.remaining) throw new DareError('invalid payload size')
      if (this.queue.length < size) return
      const opened = openPackagePieces(segment.key, this.seq++, this.queue.take(size), size, this.ref)
      this.final = opened.final
      this.remaining -= size
      for (const p of opened.plaintext) this.release(p, emit)
    }
  }

  private nextSegment(): void {
    this.index++
    const next = this.plan.segments[this.index]
    this.ref = {}
    this.final = false
    this.seq = next?.startSeq ?? 0
    this.remaining = next?.encBytes ?? 0
  }

  private release(plaintext: Buffer, emit: (plaintext: Buffer) => void): void {
    let out = plaintext
    if (this.skip > 0) {
      const drop = Math.min(this.skip, out.length)
      out = out.subarray(drop)
      this.skip -= drop
    }
    if (out.length > this.left) out = out.subarray(0, this.left)
    this.left -= out.length
    if (out.length > 0) emit(out)
  }
}
