/**
 * How a key's bytes become the string stored in the secret's field. KES stores its encoded key
 * (base64 protobuf, or legacy JSON) as the string itself, so text values are stored verbatim and a
 * Vault written by KES reads back unchanged. Bytes that are not UTF-8 text, or text that could be
 * mistaken for a transit ciphertext or for this escape, are stored as `keyhold:b64:<base64>`.
 *
 * @module
 */

const ESCAPE = 'keyhold:b64:'
/** Transit ciphertexts look like `vault:v<N>:...`; a plain value must never look like one. */
const RESERVED = /^(keyhold:b64:|vault:v\d+:)/

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** encodeValue turns key bytes into the stored string. Never throws. */
export function encodeValue(value: Uint8Array): string {
  let text: string | undefined
  try {
    text = strict.decode(value)
  } catch {
    text = undefined
  }
  if (text !== undefined && !RESERVED.test(text)) return text
  return ESCAPE + Buffer.from(value).toString('base64')
}

/** decodeValue turns a stored string back into key bytes (a fresh copy). Never throws. */
export function decodeValue(stored: string): Uint8Array {
  if (stored.startsWith(ESCAPE)) return new Uint8Array(Buffer.from(stored.slice(ESCAPE.length), 'base64'))
  return new Uint8Array(Buffer.from(stored, 'utf8'))
}

/** isTransitCiphertext reports whether a stored value is Vault transit output (`vault:v<N>:`). */
export function isTransitCiphertext(stored: string): boolean {
  return /^vault:v\d+:/.test(stored)
}
