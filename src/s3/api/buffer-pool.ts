/**
 * A pool of reusable 512 KiB buffers for large request bodies. Fresh memory is expensive: every new
 * 512 KiB buffer costs page faults and zeroing on first touch (measured ~1 ms each here, about as much as
 * hashing it), so bodies are coalesced into pooled buffers that return to the pool once every holder
 * released them (the blob file write). A holder that never releases (a stream that failed, an encrypting
 * stage that keeps pieces) just leaves its buffer to the garbage collector: releasing is an optimisation,
 * never a duty. The buffers are ordinary (not shared) memory, so nothing outside this thread can pin them.
 *
 * @module
 */

/** POOLED_BUFFER_SIZE is the size of every pooled buffer. */
export const POOLED_BUFFER_SIZE = 512 * 1024

/**
 * Idle buffers kept for reuse (8 MiB: what one upload keeps in flight in coalescing buffers plus in transfers
 * to the hash worker); more are left to the garbage collector.
 */
const MAX_FREE = 16

const free: ArrayBuffer[] = []
/** Holders left per pooled buffer that is out of the pool. */
const holds = new WeakMap<ArrayBufferLike, number>()

/**
 * takeSpare takes a raw ArrayBuffer of POOLED_BUFFER_SIZE bytes (old contents) with no holds on it, for a caller
 * that hands it on whole (the hash worker's transfers) and gives it back with {@link giveSpare}. Never throws.
 */
export function takeSpare(): ArrayBuffer {
  return free.pop() ?? new ArrayBuffer(POOLED_BUFFER_SIZE)
}

/** giveSpare returns a buffer from {@link takeSpare} (other sizes are left to the garbage collector). Never throws. */
export function giveSpare(ab: ArrayBuffer): void {
  if (ab.byteLength === POOLED_BUFFER_SIZE && free.length < MAX_FREE) free.push(ab)
}

/** acquirePooled takes a buffer of POOLED_BUFFER_SIZE bytes (old contents) that `holders` parties will release. */
export function acquirePooled(holders: number): Buffer {
  const ab = takeSpare()
  holds.set(ab, holders)
  return Buffer.from(ab)
}

/**
 * releasePooled drops one hold of a pooled buffer (or of a view of one); the last release returns it to the
 * pool. Buffers that are not pooled are ignored, so a writer may release whatever it wrote. Never throws.
 */
export function releasePooled(buf: Uint8Array): void {
  const ab = buf.buffer
  const n = holds.get(ab)
  if (n === undefined) return
  if (n > 1) {
    holds.set(ab, n - 1)
    return
  }
  holds.delete(ab)
  if (ab instanceof ArrayBuffer) giveSpare(ab)
}
