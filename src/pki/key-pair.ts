/**
 * The one check that a certificate and a private key belong together, shared by the server's TLS
 * config, keyhold-s3's certs dir and its KES client certificate. Callers keep their own messages:
 * the check throws a {@link KeyPairError} saying which part is wrong, never a user-facing text.
 *
 * @module
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto'

/** What is wrong with a pair: the certificate or the key does not parse, or they do not belong together. */
export type KeyPairProblem = 'certificate' | 'key' | 'mismatch'

const MESSAGES: Record<KeyPairProblem, string> = {
  certificate: 'pki: not a PEM certificate',
  key: 'pki: not a PEM private key',
  mismatch: 'pki: the private key does not belong to the certificate',
}

/** KeyPairError says which part of a certificate/private-key pair is wrong; `cause` is node's parse error. */
export class KeyPairError extends Error {
  override readonly name = 'KeyPairError'

  constructor(
    readonly problem: KeyPairProblem,
    options?: ErrorOptions,
  ) {
    super(MESSAGES[problem], options)
  }
}

/**
 * checkKeyPair parses the leaf certificate (the first certificate in `certPem`, so a leaf-first chain
 * works) and returns it when `key` is its private key. `key` may be an unencrypted PEM key or a key
 * the caller already parsed (e.g. decrypted with its passphrase). The certificate is parsed first.
 * Throws KeyPairError: `certificate` when `certPem` holds no parsable certificate, `key` when the PEM key
 * does not parse (or is encrypted), `mismatch` when the key belongs to another certificate. Throws
 * node's TypeError when `key` is a KeyObject that is not a private key.
 */
export function checkKeyPair(certPem: string | Buffer, key: string | Buffer | KeyObject): X509Certificate {
  let leaf: X509Certificate
  try {
    leaf = new X509Certificate(certPem)
  } catch (err) {
    throw new KeyPairError('certificate', { cause: err })
  }
  let privateKey: KeyObject
  try {
    privateKey = typeof key === 'string' || Buffer.isBuffer(key) ? createPrivateKey(key) : key
  } catch (err) {
    throw new KeyPairError('key', { cause: err })
  }
  if (!leaf.checkPrivateKey(privateKey)) throw new KeyPairError('mismatch')
  return leaf
}
