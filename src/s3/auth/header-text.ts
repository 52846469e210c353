/**
 * Header values as the text the client meant. Node hands header values over as latin-1, one character per byte
 * on the wire, while clients (botocore, Go's net/http and so minio-go and MinIO itself, curl) send non-ASCII
 * values as UTF-8 and sign them so: "é" arrives as the two bytes C3 A9, which Node reads as "Ã©". Signatures are
 * computed over those bytes and metadata is stored as text, so both read the bytes as UTF-8 again; answers
 * write text back as its UTF-8 bytes, as MinIO does.
 *
 * @module
 */
import { isUtf8 } from 'node:buffer'

// Any character past ASCII: only such values read differently as latin-1 and as UTF-8.
const NON_ASCII = /[\u0080-\u{10ffff}]/u

/**
 * headerText is a request header's value read as the UTF-8 its bytes spell, when they spell valid UTF-8;
 * otherwise, and for plain ASCII, the value unchanged (bytes that are not UTF-8 are kept one character per
 * byte). Throws nothing.
 *
 * Two byte forms read as the same text ("é" as C3 A9, or as the single byte E9, which is not UTF-8), so a
 * signature over that text covers both. That gives whoever replays a signed request no choice but between
 * spellings of the very text the signer signed, and the metadata stored is that text either way.
 */
export function headerText(value: string): string {
  if (!NON_ASCII.test(value)) return value
  const bytes = Buffer.from(value, 'latin1')
  return isUtf8(bytes) ? bytes.toString('utf8') : value
}

/**
 * wireHeaderValue makes text sendable as a response header the way Go's net/http (MinIO) sends it: as its
 * UTF-8 bytes, with line breaks and other control characters but tab turned into spaces, so nothing can be
 * injected and Node never refuses the response. Throws nothing.
 */
export function wireHeaderValue(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what this replaces
  const spaced = text.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, ' ')
  return NON_ASCII.test(spaced) ? Buffer.from(spaced, 'utf8').toString('latin1') : spaced
}
