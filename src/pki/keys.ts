/**
 * Key pairs for TLS certificates and API keys, through `node:crypto` only.
 *
 * @module
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'

/** The key algorithms Keyhold issues certificates for. ECDSA P-256 is the default: cheap handshakes. */
export type KeyAlgorithm = 'ecdsa-p256' | 'ed25519'

/** A private key and its public half. */
export interface KeyPair {
  privateKey: KeyObject
  publicKey: KeyObject
}

/** generateKeyPair creates a fresh key pair. */
export function generateKeyPair(algorithm: KeyAlgorithm = 'ecdsa-p256'): KeyPair {
  if (algorithm === 'ed25519') return generateKeyPairSync('ed25519')
  return generateKeyPairSync('ec', { namedCurve: 'P-256' })
}

/** privateKeyToPem encodes a private key as unencrypted PKCS#8 PEM. */
export function privateKeyToPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString()
}

/**
 * privateKeyFromPem parses a PEM private key (PKCS#8, SEC1 or PKCS#1), decrypting it with
 * `password` when it is encrypted. Throws when the PEM is not a private key or the password is wrong.
 */
export function privateKeyFromPem(pem: string | Buffer, password?: string): KeyPair {
  const privateKey = createPrivateKey(password === undefined ? { key: pem } : { key: pem, passphrase: password })
  return { privateKey, publicKey: createPublicKey(privateKey) }
}
