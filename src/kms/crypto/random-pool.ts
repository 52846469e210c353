/**
 * Random bytes for the per-request hot path (data keys, ciphertext iv + nonce), drawn from a
 * pool that node:crypto refills 4 KiB at a time. Every call to `randomBytes` pays a fixed cost
 * (a job object, OpenSSL's DRBG lock and status check: ~5 µs idle, ~25 µs on a loaded machine)
 * whatever the size, which made it the largest single item of a generate request's profile.
 *
 * Nothing is reused: each pool byte is handed out once (copied out, then zeroed in the pool), so
 * every ciphertext still gets its own fresh iv and nonce and every data key its own 32 bytes.
 * The pool is per process: cluster workers are separate processes (spawned, not forked
 * copies of memory), so no two processes ever draw the same bytes.
 *
 * @module
 */
import { randomBytes, randomFillSync } from 'node:crypto'

const POOL_SIZE = 4096
// Larger requests gain nothing from pooling and would drain it.
const MAX_POOLED = 256

// allocUnsafeSlow: a buffer of its own, not a slice of Node's shared allocation pool.
const pool = Buffer.allocUnsafeSlow(POOL_SIZE)
let offset = POOL_SIZE

/**
 * randomPooled returns `size` fresh cryptographically random bytes in a buffer the caller owns.
 * Throws RangeError for a negative or non-integer size, and whatever node:crypto throws when
 * the system's random source fails.
 */
export function randomPooled(size: number): Buffer {
  if (!Number.isInteger(size) || size < 0) throw new RangeError(`invalid random size ${size}`)
  if (size > MAX_POOLED) return randomBytes(size)
  if (offset + size > POOL_SIZE) {
    randomFillSync(pool)
    offset = 0
  }
  const out = Buffer.alloc(size)
  pool.copy(out, 0, offset, offset + size)
  pool.fill(0, offset, offset + size)
  offset += size
  return out
}
