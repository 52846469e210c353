/**
 * A pool of reusable shared-memory buffers for large request bodies. Fresh memory is expensive: every new
 * 512 KiB buffer costs page faults and zeroing on first touch (measured ~1 ms each here, about as much as
 * hashing it), so bodies are coalesced into pooled SharedArrayBuffers that a hash worker can read in place
 * and that return to the pool once every holder released them (the hash worker's acknowledgement and the
 * blob file write). A holder that never releases (a stream that failed, an encrypting stage that keeps
 * pieces) just leaves its buffer to the garbage collector: releasing is an optimisation, never a duty.
 *
 * @module
 */

/** SHARED_BUFFER_SIZE is the size of every pooled buffer. */
export const SHARED_BUFFER_SIZE = 512 * 1024

/** Idle buffers kept for reuse (16 MiB); more are left to the garbage collector. */
const MAX_FREE = 32

const free: SharedArrayBuffer[] = []
/** Holders left per pooled buffer that is out of the pool. */
const holds = new WeakMap<SharedArrayBuffer, number>()

/** acquireShared takes a buffer of SHARED_BUFFER_SIZE bytes (old contents) that `holders` parties will release. */
export function acquireShared(holders: number): Buffer {
  const sab = free.pop() ?? new SharedArrayBuffer(SHARED_BUFFER_SIZE)
  holds.set(sab, holders)
  return Buffer.from(sab)
}

/**
 * releaseShared drops one hold of a pooled buffer (or of a view of one); the last release returns it to the
 * pool. Buffers that are not pooled are ignored, so a writer may release whatever it wrote. Never throws.
 */
export function releaseShared(buf: Uint8Array): void {
  const sab = buf.buffer
  if (!(sab instanceof SharedArrayBuffer)) return
  const n = holds.get(sab)
  if (n === undefined) return
  if (n > 1) {
    holds.set(sab, n - 1)
    return
  }
  holds.delete(sab)
  if (free.length < MAX_FREE) free.push(sab)
}
