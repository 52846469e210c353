/**
 * Coalesces a stream's small chunks (TLS hands over ~16 KiB records) into larger buffers backed by
 * SharedArrayBuffers: the copy that coalescing costs anyway lands in memory a hash worker can read without a
 * second copy, and the file writes downstream get fewer, larger buffers.
 *
 * @module
 */

/** SharedChunker fills shared buffers of `capacity()` bytes from incoming chunks. */
export class SharedChunker {
  private buf: Buffer | undefined
  private filled = 0

  /** capacity is asked for each new buffer's size (e.g. the bytes still expected, when fewer). */
  constructor(private readonly capacity: () => number) {}

  /** add copies chunk in; `full` gets each buffer that fills up (never touched again here). Never throws. */
  add(chunk: Buffer, full: (buf: Buffer) => void): void {
    let offset = 0
    while (offset < chunk.length) {
      if (this.buf === undefined) {
        this.buf = Buffer.from(new SharedArrayBuffer(Math.max(1, this.capacity())))
        this.filled = 0
      }
      const n = chunk.copy(this.buf, this.filled, offset)
      this.filled += n
      offset += n
      if (this.filled === this.buf.length) full(this.take()!)
    }
  }

  /** take hands over the partly filled buffer (its filled part), or undefined when empty. */
  take(): Buffer | undefined {
    const buf = this.buf
    const filled = this.filled
    this.buf = undefined
    this.filled = 0
    if (buf === undefined || filled === 0) return undefined
    return filled === buf.length ? buf : buf.subarray(0, filled)
  }
}
