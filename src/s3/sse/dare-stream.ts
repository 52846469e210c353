/**
 * DARE 2.0 as Node Transform streams: encryption of object bytes, and decryption of a sequence of
 * independent DARE streams (the parts of an object), possibly starting mid-stream for a range.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'
import { DareError, HEADER_SIZE, MAX_PAYLOAD, TAG_SIZE, openPackagePieces, sealPackage, type StreamRef } from './dare.js'

/** A queue of buffers that hands out exact-size slices without concatenating everything. */
class ByteQueue {
  private chunks: Buffer[] = []
  length = 0

  push(chunk: Buffer): void {
    if (chunk.length === 0) return
    this.chunks.push(chunk)
    this.length += chunk.length
  }

  /** take removes the first `n` bytes (n ≤ length) as pieces. */
  take(n: number): Buffer[] {
    const out: Buffer[] = []
    while (n > 0) {
      const head = this.chunks[0]!
      if (head.length <= n) {
        out.push(head)
        this.chunks.shift()
        n -= head.length
        this.length -= head.length
      } else {
        out.push(head.subarray(0, n))
        this.chunks[0] = head.subarray(n)
        this.length -= n
        n = 0
      }
    }
    return out
  }

  /** peekUInt16LE reads two bytes at `offset` without consuming them. */
  peekUInt16LE(offset: number): number {
    const bytes: number[] = []
    for (const c of this.chunks) {
      for (let i = 0; i < c.length && bytes.length < offset + 2; i++) bytes.push(c[i]!)
      if (bytes.length >= offset + 2) break
    }
    return bytes[offset]! | (bytes[offset + 1]! << 8)
  }
}

/**
 * DareEncryptStream turns plaintext into a DARE 2.0 stream under `key` (32 bytes). The nonce is
 * random unless given (multipart parts use a deterministic one). It holds back one byte so the
 * final package is known; empty input yields empty output.
 */
export class DareEncryptStream extends Transform {
  private readonly queue = new ByteQueue()
  private seq = 0
  private readonly nonce: Buffer

  /** Throws RangeError for a bad key or nonce size. */
  constructor(private readonly key: Buffer, nonce?: Buffer) {
    super()
    if (key.length !== 32) throw new RangeError('invalid DARE key size')
    if (nonce !== undefined && nonce.length !== 12) throw new RangeError('invalid DARE nonce size')
    this.nonce = nonce ?? randomBytes(12)
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.queue.push(chunk)
    try {
      while (this.queue.length > MAX_PAYLOAD) this.emit_(false)
      done()
    } catch (err) {
      done(err as Error)
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      if (this.queue.length > 0) this.emit_(true)
      done()
    } catch (err) {
      done(err as Error)
    }
  }

  private emit_(final: boolean): void {
    const pieces = this.queue.take(Math.min(MAX_PAYLOAD, this.queue.length))
    for (const b of sealPackage(this.key, this.nonce, this.seq++, final, pieces)) this.push(b)
  }
}

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

/** Options of {@link DareDecryptStream}. */
export interface DecryptPlan {
  segments: DecryptSegment[]
  /** Plaintext bytes to drop at the start (range offset within the first package). */
  skip: number
  /** Plaintext bytes to emit in all; the rest is dropped. */
  length: number
}

/**
 * DareDecryptStream decrypts stored bytes laid out as `plan.segments` and emits exactly the
 * requested plaintext window. A package is only released after its tag verified, so wrong bytes
 * never leave it; any malformed, truncated, reordered or unauthentic input destroys the stream
 * with a DareError.
 */
export class DareDecryptStream extends Transform {
  private readonly queue = new ByteQueue()
  private index = 0
  private seq: number
  private remaining: number
  private ref: { value?: StreamRef } = {}
  private final = false
  private skip: number
  private left: number

  constructor(private readonly plan: DecryptPlan) {
    super()
    this.seq = plan.segments[0]?.startSeq ?? 0
    this.remaining = plan.segments[0]?.encBytes ?? 0
    this.skip = plan.skip
    this.left = plan.length
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.queue.push(chunk)
    try {
      this.drain()
      done()
    } catch (err) {
      done(err as Error)
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      this.drain()
      if (this.queue.length > 0 || this.index < this.plan.segments.length) throw new DareError('unexpected EOF')
      if (this.left > 0) throw new DareError('unexpected EOF')
      done()
    } catch (err) {
      done(err as Error)
    }
  }

  private drain(): void {
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
      for (const p of opened.plaintext) this.release(p)
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

  private release(plaintext: Buffer): void {
    let out = plaintext
    if (this.skip > 0) {
      const drop = Math.min(this.skip, out.length)
      out = out.subarray(drop)
      this.skip -= drop
    }
    if (out.length > this.left) out = out.subarray(0, this.left)
    this.left -= out.length
    if (out.length > 0) this.push(out)
  }
}
