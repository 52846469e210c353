/**
 * HMAC-SHA256 (RFC 2104) for the per-ciphertext key derivation: a 32-byte key and a short
 * message, computed with two one-shot `crypto.hash` calls. `createHmac` builds a stream object
 * per call, and that object was the largest crypto item of a generate or decrypt profile; the
 * one-shot hash builds none. Tested against `createHmac` byte for byte.
 *
 * @module
 */
import { hash } from 'node:crypto'

const BLOCK = 64
/** The longest message of the fast path: the derivation hashes a 16-byte iv. */
const MAX_MESSAGE = 64
// Scratch space reused by every call (synchronous, single-threaded) and zeroed after each.
const inner = Buffer.alloc(BLOCK + MAX_MESSAGE)
const outer = Buffer.alloc(BLOCK + 32)

/**
 * hmacSha256 returns HMAC-SHA256(key, message) as a new 32-byte Buffer, which the caller should
 * zero after use. Throws RangeError unless the key is at most 64 bytes and the message at most
 * 64 bytes (the shapes of the key derivation).
 */
export function hmacSha256(key: Uint8Array, message: Uint8Array): Buffer {
  if (key.length > BLOCK) throw new RangeError('hmacSha256: key longer than one block')
  if (message.length > MAX_MESSAGE) throw new RangeError('hmacSha256: message longer than 64 bytes')
  for (let i = 0; i < BLOCK; i++) {
    const k = i < key.length ? key[i]! : 0
    inner[i] = k ^ 0x36
    outer[i] = k ^ 0x5c
  }
  inner.set(message, BLOCK)
  try {
    // The inner digest as a 'binary' (latin1) string (the fast output form, one char per byte) goes
    // straight into the outer block; the result, the derived key, stays in a Buffer to be zeroed.
    outer.write(hash('sha256', inner.subarray(0, BLOCK + message.length), 'binary'), BLOCK, 'binary')
    return hash('sha256', outer, 'buffer')
  } finally {
    inner.fill(0)
    outer.fill(0)
  }
}
