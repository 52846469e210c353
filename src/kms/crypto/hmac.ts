/**
 * HMAC-SHA256 under a key version's HMAC key (KES `/v1/key/hmac`).
 *
 * @module
 */
import { createHmac } from 'node:crypto'
import type { KeyVersion } from './key.js'

/** NoHmacKeyError: the key is a legacy key stored without an HMAC key. */
export class NoHmacKeyError extends Error {
  constructor() {
    super('key does not have an HMAC key')
    this.name = 'NoHmacKeyError'
  }
}

/**
 * hmac computes HMAC-SHA256(hmacKey, message), 32 bytes. Throws NoHmacKeyError when the key
 * version has no HMAC key.
 */
export function hmac(key: KeyVersion, message: Uint8Array): Uint8Array {
  if (key.hmacKey === undefined) throw new NoHmacKeyError()
  return new Uint8Array(createHmac('sha256', key.hmacKey).update(message).digest())
}
