/**
 * Strict standard base64 (RFC 4648 §4, padded), as Go's `base64.StdEncoding` reads and writes it.
 *
 * `Buffer.from(s, 'base64')` is lenient: it skips invalid characters and accepts the URL alphabet,
 * so a damaged stored key or ciphertext field could silently decode to different bytes. KES's
 * formats are produced by Go, whose decoder rejects those inputs, so we do too.
 *
 * @module
 */

// Go's decoder ignores CR and LF anywhere in the input; everything else must be the std alphabet.
const NEWLINES = /[\r\n]/g
const STD_PADDED = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** Encodes `bytes` as standard, padded base64. Never throws. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}

/**
 * Decodes standard, padded base64, ignoring CR/LF like Go does.
 * Returns `undefined` when `text` is not valid base64 (never throws).
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  const s = text.replace(NEWLINES, '')
  if (!STD_PADDED.test(s)) return undefined
  return new Uint8Array(Buffer.from(s, 'base64'))
}
