/**
 * Identities: the lowercase hex SHA-256 of a certificate's DER SubjectPublicKeyInfo, as KES computes them.
 *
 * @module
 */
import { createHash, X509Certificate, type KeyObject } from 'node:crypto'

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
  return identityOfPublicKey(x509.publicKey)
}

/** isIdentity reports whether `s` has the shape of an identity (admin may be set to anything else to disable it). */
export function isIdentity(s: string): boolean {
  return IDENTITY_PATTERN.test(s)
}
