/**
 * KES's per-ciphertext AEAD: a one-time key derived from the master key and a random 16-byte iv,
 * then AES-256-GCM or ChaCha20-Poly1305 with a 12-byte nonce and 16-byte tag. All three
 * ciphertext containers share this; only their framing differs.
 *
 * @module
 */
import { createCipheriv, createDecipheriv } from 'node:crypto'
import { hchacha20 } from './hchacha20.js'
import { hmacSha256 } from './hmac-sha256.js'
import type { KeyAlgorithm } from './key.js'

export const IV_SIZE = 16
export const NONCE_SIZE = 12
const TAG_SIZE = 16

function cipher(algorithm: KeyAlgorithm, key: Uint8Array, nonce: Uint8Array) {
  const opts = { authTagLength: TAG_SIZE }
  return algorithm === 'ChaCha20'
    ? createCipheriv('chacha20-poly1305', key, nonce, opts)
    : createCipheriv('aes-256-gcm', key, nonce, opts)
}

function decipher(algorithm: KeyAlgorithm, key: Uint8Array, nonce: Uint8Array) {
  const opts = { authTagLength: TAG_SIZE }
  return algorithm === 'ChaCha20'
    ? createDecipheriv('chacha20-poly1305', key, nonce, opts)
    : createDecipheriv('aes-256-gcm', key, nonce, opts)
}

/**
 * Derives the one-time AEAD key: HMAC-SHA256(master, iv) for AES256, HChaCha20(master, iv) for
 * ChaCha20. Throws RangeError on wrong sizes.
 */
function deriveKey(algorithm: KeyAlgorithm, masterKey: Uint8Array, iv: Uint8Array): Uint8Array {
  if (iv.length !== IV_SIZE) throw new RangeError('aead: iv must be 16 bytes')
  if (algorithm === 'ChaCha20') return hchacha20(masterKey, iv)
  if (masterKey.length !== 32) throw new RangeError('aead: key must be 32 bytes')
  return hmacSha256(masterKey, iv)
}

/** Returns AEAD ciphertext ‖ tag. Throws RangeError on wrong key, iv or nonce sizes. */
export function seal(
  algorithm: KeyAlgorithm, masterKey: Uint8Array, iv: Uint8Array, nonce: Uint8Array,
  plaintext: Uint8Array, ad: Uint8Array,
): Uint8Array {
  if (nonce.length !== NONCE_SIZE) throw new RangeError('aead: nonce must be 12 bytes')
  const key = deriveKey(algorithm, masterKey, iv)
  const c = cipher(algorithm, key, nonce)
  c.setAAD(ad, { plaintextLength: plaintext.length })
  const out = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()])
  key.fill(0)
  return new Uint8Array(out.buffer, out.byteOffset, out.length)
}

/**
 * Verifies and decrypts `sealed` (ciphertext ‖ tag). Returns `undefined` when it is not
 * authentic; throws RangeError on wrong key, iv or nonce sizes.
 */
export function open(
  algorithm: KeyAlgorithm, masterKey: Uint8Array, iv: Uint8Array, nonce: Uint8Array,
  sealed: Uint8Array, ad: Uint8Array,
): Uint8Array | undefined {
  if (nonce.length !== NONCE_SIZE) throw new RangeError('aead: nonce must be 12 bytes')
  if (sealed.length < TAG_SIZE) return undefined
  const key = deriveKey(algorithm, masterKey, iv)
  const body = sealed.subarray(0, sealed.length - TAG_SIZE)
  const d = decipher(algorithm, key, nonce)
  d.setAAD(ad, { plaintextLength: body.length })
  d.setAuthTag(sealed.subarray(sealed.length - TAG_SIZE))
  const head = d.update(body)
  try {
    const out = Buffer.concat([head, d.final()])
    return new Uint8Array(out.buffer, out.byteOffset, out.length)
  } catch {
    head.fill(0) // unauthenticated plaintext must not linger
    return undefined
  } finally {
    key.fill(0)
  }
}
