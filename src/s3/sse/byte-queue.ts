/**
 * A queue of buffers that hands out exact-size slices without concatenating everything: how the DARE
 * streams cut packages out of chunks of any size.
 *
 * @module
 */

/** ByteQueue holds pushed buffers (by reference) and takes bytes off the front. Throws nothing. */
export class ByteQueue {
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

  /** detach copies what is queued into memory of its own, so the buffers pushed so far may be reused. */
  detach(): void {
    if (this.length > 0) this.chunks = [Buffer.concat(this.chunks, this.length)]
  }
}
