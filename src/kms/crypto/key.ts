/**
 * Master key versions: generation, import, and KES's stored encodings (HEAD
 * `internal/crypto/key.go`). Writers produce base64(protobuf); readers accept that and the
 * legacy JSON form.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { decodeBase64, encodeBase64 } from './base64.js'
import { parseLegacyKey } from './key-json.js'
import { KEY_SIZE, marshalKeyVersion, unmarshalKeyVersion } from './key-proto.js'
import type { KeyAlgorithm, KeyVersion } from './key-version.js'

export type { KeyAlgorithm, KeyVersion } from './key-version.js'

/** InvalidKeyError: bytes are not a valid stored key, or key material has the wrong size. */
export class InvalidKeyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'InvalidKeyError'
  }
}

/**
 * generateKeyVersion makes a new random master key and HMAC key, stamped now and with
 * `createdBy`. AES256 by default (KES picks it whenever the CPU has AES hardware). Never throws.
 */
export function generateKeyVersion(createdBy: string, algorithm: KeyAlgorithm = 'AES256'): KeyVersion {
  return {
    key: new Uint8Array(randomBytes(KEY_SIZE)),
    algorithm,
    hmacKey: new Uint8Array(randomBytes(KEY_SIZE)),
    createdAt: new Date(),
    createdBy,
  }
}

/**
 * importKeyVersion wraps caller-supplied key bytes (`/v1/key/import`) with a fresh random HMAC
 * key. The bytes are copied. Throws InvalidKeyError unless `raw` is exactly 32 bytes or if
 * `algorithm` is not a known one.
 */
export function importKeyVersion(raw: Uint8Array, algorithm: KeyAlgorithm, createdBy: string): KeyVersion {
  if (raw.length !== KEY_SIZE) throw new InvalidKeyError(`invalid key length: ${raw.length} bytes, want ${KEY_SIZE}`)
  if (algorithm !== 'AES256' && algorithm !== 'ChaCha20') throw new InvalidKeyError('invalid key algorithm')
  return {
    key: Uint8Array.from(raw),
    algorithm,
    hmacKey: new Uint8Array(randomBytes(KEY_SIZE)),
    createdAt: new Date(),
    createdBy,
  }
}

/**
 * encodeKeyVersion produces the bytes a keystore stores: ASCII standard base64 (padded) of KES's
 * protobuf `KeyVersion`. Throws InvalidKeyError if a key is not 32 bytes or there is no HMAC key
 * (legacy keys cannot be written in this form, as in KES).
 */
export function encodeKeyVersion(k: KeyVersion): Uint8Array {
  let proto: Uint8Array
  try {
    proto = marshalKeyVersion(k)
  } catch (err) {
    throw new InvalidKeyError('cannot encode key', { cause: err })
  }
  return new Uint8Array(Buffer.from(encodeBase64(proto), 'ascii'))
}

/**
 * The largest stored key decoded. A real one is a few hundred bytes (two 32-byte keys, a time and
 * an identity); the bound keeps a keystore that serves huge values (a megabyte-long `created_by`)
 * from having them parsed, cached and sent to clients.
 */
export const MAX_STORED_KEY_SIZE = 64 << 10

/**
 * decodeKeyVersion parses stored key bytes: legacy JSON when they are valid JSON (KES's own
 * test), base64(protobuf) otherwise. Throws InvalidKeyError on anything else, including more than
 * {@link MAX_STORED_KEY_SIZE} bytes; the message never contains key material.
 */
export function decodeKeyVersion(stored: Uint8Array): KeyVersion {
  if (stored.length > MAX_STORED_KEY_SIZE) {
    throw new InvalidKeyError(`invalid stored key: ${stored.length} bytes, at most ${MAX_STORED_KEY_SIZE} allowed`)
  }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(stored)
  } catch (err) {
    throw new InvalidKeyError('invalid stored key: not text', { cause: err })
  }

  let json: unknown
  let isJson = true
  try {
    json = JSON.parse(text)
  } catch {
    isJson = false
  }
  try {
    if (isJson) return parseLegacyKey(json)
    const proto = decodeBase64(text)
    if (proto === undefined) throw new Error('invalid stored key: not base64')
    return unmarshalKeyVersion(proto)
  } catch (err) {
    // Re-raise with our class; the inner messages name fields and sizes, never bytes.
    throw new InvalidKeyError(err instanceof Error ? err.message : 'invalid stored key', { cause: err })
  }
}
