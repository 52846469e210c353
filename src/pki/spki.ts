/**
 * The DER SubjectPublicKeyInfo of an X.509 certificate, cut out of the certificate's own DER.
 *
 * An identity is the SHA-256 of these bytes (identity.ts). Through node:crypto they cost a
 * `KeyObject` export, which OpenSSL 3 runs through its encoder machinery: ~0.5 ms per call here,
 * paid on every new mutual-TLS connection to the KMS. The bytes are already inside the
 * certificate, so this reads the few DER headers in front of them instead.
 *
 * @module
 */

/** A DER element: where its contents start and end, and where the whole element ends. */
interface Element {
  tag: number
  start: number
  end: number
}

/** readElement reads the element at `at`, within `limit`. Undefined for anything not DER-shaped (long tags, indefinite lengths, lengths past `limit`). */
function readElement(der: Uint8Array, at: number, limit: number): Element | undefined {
  if (at + 2 > limit) return undefined
  const tag = der[at]!
  if ((tag & 0x1f) === 0x1f) return undefined // multi-byte tags appear nowhere before the SPKI
  let len = der[at + 1]!
  let start = at + 2
  if (len & 0x80) {
    const n = len & 0x7f
    if (n === 0 || n > 3 || start + n > limit) return undefined // indefinite, or ≥ 16 MiB
    len = 0
    for (let i = 0; i < n; i++) len = len * 256 + der[start + i]!
    start += n
  }
  const end = start + len
  return end <= limit ? { tag, start, end } : undefined
}

const SEQUENCE = 0x30
const VERSION = 0xa0 // [0] EXPLICIT

/**
 * spkiOfCertificate returns the DER SubjectPublicKeyInfo inside a DER certificate
 * (Certificate → TBSCertificate → version?, serialNumber, signature, issuer, validity, subject,
 * subjectPublicKeyInfo), or undefined when `der` does not have that shape. It checks structure,
 * not content: callers pass certificates OpenSSL has parsed already. Throws nothing.
 */
export function spkiOfCertificate(der: Uint8Array): Buffer | undefined {
  const cert = readElement(der, 0, der.length)
  if (cert?.tag !== SEQUENCE || cert.end !== der.length) return undefined
  const tbs = readElement(der, cert.start, cert.end)
  if (tbs?.tag !== SEQUENCE) return undefined
  let at = tbs.start
  const version = readElement(der, at, tbs.end)
  if (version?.tag === VERSION) at = version.end
  // serialNumber, signature, issuer, validity, subject: skipped whatever their content.
  for (let i = 0; i < 5; i++) {
    const el = readElement(der, at, tbs.end)
    if (el === undefined) return undefined
    at = el.end
  }
  const spki = readElement(der, at, tbs.end)
  if (spki?.tag !== SEQUENCE) return undefined
  return Buffer.from(der.buffer, der.byteOffset + at, spki.end - at)
}
