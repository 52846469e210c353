/**
 * Coalesces a stream's small chunks (TLS hands over ~16 KiB records) into larger pooled buffers
 * ({@link acquirePooled}): the file writes downstream get fewer, larger buffers, and memory is reused
 * instead of faulted in fresh for every 512 KiB.
 *
 * @module
 */
import { acquirePooled, POOLED_BUFFER_SIZE } from './buffer-pool.js'

/**
 * PooledChunker fills pooled buffers from incoming chunks; each buffer it hands out is acquired for
 * `holders` releases ({@link releasePooled}).
 */
export class PooledChunker {
  private buf: Buffer | undefined
  private filled = 0

  constructor(private readonly holders: number) {}

  /** add copies chunk in; `full` gets each buffer that fills up (never touched again here). Never throws. */
  add(chunk: Uint8Array, full: (buf: Buffer) => void): void {
    let offset = 0
    while (offset < chunk.length) {
      if (this.buf === undefined) {
        this.buf = acquirePooled(this.holders)
        this.filled = 0
      }
      const n = Math.min(chunk.length - offset, POOLED_BUFFER_SIZE - this.filled)
      // TypedArray.set is a plain memcpy, without Buffer.copy's argument checks per 16 KiB record.
      this.buf.set(offset === 0 && n === chunk.length ? chunk : chunk.subarray(offset, offset + n), this.filled)
      this.filled += n
      offset += n
      if (this.filled === POOLED_BUFFER_SIZE) full(this.take()!)
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
