/**
 * Identities: the lowercase hex SHA-256 of a certificate's DER SubjectPublicKeyInfo, as KES computes them.
 *
 * @module
 */
import { createHash, X509Certificate, type KeyObject } from 'node:crypto'
import { spkiOfCertificate } from './spki.js'

/** An identity is 64 lowercase hex characters. */
export const IDENTITY_PATTERN = /^[0-9a-f]{64}$/

/** identityOfPublicKey hashes the DER SubjectPublicKeyInfo of a public key. */
export function identityOfPublicKey(publicKey: KeyObject): string {
  const spki = publicKey.export({ type: 'spki', format: 'der' })
  return createHash('sha256').update(spki).digest('hex')
}

/**
 * identityOfCertificate returns the identity of a certificate given as PEM, DER or parsed.
 * Throws when the input is not a certificate.
 */
export function identityOfCertificate(cert: string | Buffer | X509Certificate): string {
  const x509 = cert instanceof X509Certificate ? cert : new X509Certificate(cert)
  // The SPKI bytes as the certificate carries them (what KES hashes); the KeyObject export gives
  // the same bytes at ~100 times the cost (spki.ts) and is kept only for a shape we do not read.
  const spki = spkiOfCertificate(x509.raw)
  return spki !== undefined ? createHash('sha256').update(spki).digest('hex') : identityOfPublicKey(x509.publicKey)
}

/** isIdentity reports whether `s` has the shape of an identity (admin may be set to anything else to disable it). */
export function isIdentity(s: string): boolean {
  return IDENTITY_PATTERN.test(s)
}

/** Why a certificate chain yields no identity. */
export type ChainRefusal = 'no-certificate' | 'ca-certificate' | 'more-than-one'

/** A certificate as the identity rule needs it: its DER and whether it is a CA (OpenSSL's `X509_check_ca`). */
export interface ChainCertificate {
  raw: Buffer
  ca: boolean
}

/**
 * identityOfChain applies Keyhold's identity rule to a certificate chain in the order the client
 * sends it: the identity is the first certificate's, since the TLS handshake proves possession of
 * that key only. A CA-flagged first certificate, or a further non-CA certificate, is refused;
 * further CA certificates are chain material. (KES skips every CA certificate and takes the one
 * left, which lets a client present someone else's public certificate behind a CA of its own.)
 * Throws when an element is not a parseable DER or PEM certificate.
 */
export function identityOfChain(chain: ReadonlyArray<string | Buffer | X509Certificate>): { identity: string } | { refused: ChainRefusal } {
  return identityOfParsedChain(chain.map((c) => (c instanceof X509Certificate ? c : new X509Certificate(c))))
}

/**
 * identityOfParsedChain is {@link identityOfChain} for certificates already parsed, e.g. by the TLS
 * handshake (Node's `PeerCertificate` carries `raw` and `ca`): the server identifies every new
 * connection this way without parsing the certificates again. Throws when the first certificate's
 * DER is not a certificate (never for DER a handshake accepted).
 */
export function identityOfParsedChain(chain: ReadonlyArray<ChainCertificate>): { identity: string } | { refused: ChainRefusal } {
  const first = chain[0]
  if (first === undefined) return { refused: 'no-certificate' }
  if (first.ca) return { refused: 'ca-certificate' }
  if (chain.slice(1).some((c) => !c.ca)) return { refused: 'more-than-one' }
  return { identity: identityOfDer(first.raw) }
}

/** identityOfDer hashes the SPKI cut out of a DER certificate, parsing it only for shapes the cut does not read. Throws when `der` is not a certificate. */
function identityOfDer(der: Buffer): string {
  const spki = spkiOfCertificate(der)
  return spki !== undefined ? createHash('sha256').update(spki).digest('hex') : identityOfCertificate(der)
}
