/**
 * HChaCha20 (draft-irtf-cfrg-xchacha §2.2), the key-derivation step of XChaCha20. `node:crypto`
 * has ChaCha20 but not HChaCha20, and KES derives its one-time ChaCha20-Poly1305 key with it.
 *
 * @module
 */

/** The ChaCha constants "expand 32-byte k" as little-endian words. */
const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574] as const

function rotl(x: number, n: number): number {
  return ((x << n) | (x >>> (32 - n))) >>> 0
}

function quarterRound(s: Uint32Array, a: number, b: number, c: number, d: number): void {
  // Indices are 0..15 on a 16-word array, so the `!` reads cannot be undefined.
  s[a] = (s[a]! + s[b]!) >>> 0; s[d] = rotl(s[d]! ^ s[a]!, 16)
  s[c] = (s[c]! + s[d]!) >>> 0; s[b] = rotl(s[b]! ^ s[c]!, 12)
  s[a] = (s[a]! + s[b]!) >>> 0; s[d] = rotl(s[d]! ^ s[a]!, 8)
  s[c] = (s[c]! + s[d]!) >>> 0; s[b] = rotl(s[b]! ^ s[c]!, 7)
}

/**
 * hchacha20 derives a 32-byte subkey from a 32-byte key and a 16-byte nonce.
 * Throws RangeError on other sizes.
 */
export function hchacha20(key: Uint8Array, nonce: Uint8Array): Uint8Array {
  if (key.length !== 32) throw new RangeError('hchacha20: key must be 32 bytes')
  if (nonce.length !== 16) throw new RangeError('hchacha20: nonce must be 16 bytes')
  const kv = new DataView(key.buffer, key.byteOffset, 32)
  const nv = new DataView(nonce.buffer, nonce.byteOffset, 16)

  // State: constants ‖ key (8 words) ‖ nonce (4 words), all little-endian.
  const s = new Uint32Array(16)
  s.set(SIGMA, 0)
  for (let i = 0; i < 8; i++) s[4 + i] = kv.getUint32(4 * i, true)
  for (let i = 0; i < 4; i++) s[12 + i] = nv.getUint32(4 * i, true)

  for (let i = 0; i < 10; i++) { // 10 double rounds = 20 rounds
    quarterRound(s, 0, 4, 8, 12); quarterRound(s, 1, 5, 9, 13)
    quarterRound(s, 2, 6, 10, 14); quarterRound(s, 3, 7, 11, 15)
    quarterRound(s, 0, 5, 10, 15); quarterRound(s, 1, 6, 11, 12)
    quarterRound(s, 2, 7, 8, 13); quarterRound(s, 3, 4, 9, 14)
  }

  // Unlike the ChaCha20 block function there is no final addition of the input state:
  // the output is words 0..3 and 12..15 as they stand.
  const out = new Uint8Array(32)
  const ov = new DataView(out.buffer)
  for (let i = 0; i < 4; i++) {
    ov.setUint32(4 * i, s[i]!, true)
    ov.setUint32(16 + 4 * i, s[12 + i]!, true)
  }
  return out
}
