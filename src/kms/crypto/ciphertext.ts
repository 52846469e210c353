/**
 * KES ciphertexts (HEAD `internal/crypto/key.go`, `ciphertext.go`): encrypt writes the current
 * format `AEAD(plaintext, AD = context) ‖ iv(16) ‖ nonce(12)`; decrypt also reads the legacy
 * msgpack and JSON containers.
 *
 * @module
 */
import { randomPooled } from './random-pool.js'
import { IV_SIZE, NONCE_SIZE, open, seal } from './aead.js'
import type { KeyAlgorithm, KeyVersion } from './key.js'
import { type LegacyCiphertext, parseJsonCiphertext, parseMsgpackCiphertext } from './legacy-ciphertext.js'

/** The one message every decryption failure carries; MinIO matches it byte for byte. */
const NOT_AUTHENTIC = 'decryption failed: ciphertext is not authentic'

/**
 * DecryptError: the ciphertext is malformed, was made under another key or context, or was
 * tampered with. Its message is always exactly `decryption failed: ciphertext is not authentic`.
 */
export class DecryptError extends Error {
  constructor() {
    super(NOT_AUTHENTIC)
    this.name = 'DecryptError'
  }
}

const RANDOM_SIZE = IV_SIZE + NONCE_SIZE
const EMPTY = new Uint8Array(0)

/**
 * encrypt seals `plaintext` under the master key with `context` as associated data, in KES's
 * current format (44 bytes longer than the plaintext). Throws RangeError if the key is not
 * 32 bytes.
 */
export function encrypt(key: KeyVersion, plaintext: Uint8Array, context?: Uint8Array): Uint8Array {
  const random = new Uint8Array(randomPooled(RANDOM_SIZE))
  const iv = random.subarray(0, IV_SIZE)
  const nonce = random.subarray(IV_SIZE)
  const sealed = seal(key.algorithm, key.key, iv, nonce, plaintext, context ?? EMPTY)
  const out = new Uint8Array(sealed.length + RANDOM_SIZE)
  out.set(sealed, 0)
  out.set(random, sealed.length)
  return out
}

/**
 * The container of `b`. A legacy-looking prefix that does not parse falls back to the current
 * format, as in KES: a current ciphertext may begin with 0x95 or `{` by chance.
 */
function parse(b: Uint8Array, algorithm: KeyAlgorithm): LegacyCiphertext | undefined {
  const legacy = b[0] === 0x95 ? parseMsgpackCiphertext(b) : b[0] === 0x7b ? parseJsonCiphertext(b) : undefined
  if (legacy !== undefined) return legacy
  if (b.length <= RANDOM_SIZE) return undefined
  const end = b.length - RANDOM_SIZE
  return {
    algorithm,
    sealed: b.subarray(0, end),
    iv: b.subarray(end, end + IV_SIZE),
    nonce: b.subarray(end + IV_SIZE),
  }
}

/**
 * decrypt opens a ciphertext in any of KES's three formats. Legacy containers are opened with
 * the algorithm they record (as KES ≤ v0.22 did), the current format with the key's algorithm.
 * Throws DecryptError, and nothing else, for any input that does not authenticate.
 */
export function decrypt(key: KeyVersion, ciphertext: Uint8Array, context?: Uint8Array): Uint8Array {
  const plaintext = tryDecrypt(key, ciphertext, context)
  if (plaintext === undefined) throw new DecryptError()
  return plaintext
}

/**
 * tryDecrypt is {@link decrypt} returning undefined instead of throwing: trying the versions of
 * a rotated key one after another (docs/key-rotation.md) should not pay for an exception each.
 * Throws nothing.
 */
export function tryDecrypt(key: KeyVersion, ciphertext: Uint8Array, context?: Uint8Array): Uint8Array | undefined {
  try {
    const c = parse(ciphertext, key.algorithm)
    return c === undefined ? undefined : open(c.algorithm, key.key, c.iv, c.nonce, c.sealed, context ?? EMPTY)
  } catch {
    // Wrong key sizes and anything unforeseen: the client sees the same answer as for a bad tag.
    return undefined
  }
}
