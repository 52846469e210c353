/**
 * KES API keys: `kes:v1:` + base64(0x00 ‖ Ed25519 seed). A client turns one into a self-signed
 * certificate; the server sees an ordinary identity.
 *
 * @module
 */
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto'
import { createCertificate } from './certificate.js'
import { identityOfPublicKey } from './identity.js'
import { privateKeyToPem, type KeyPair } from './keys.js'

const PREFIX = 'kes:v1:'
// PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410).
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')

/** InvalidApiKeyError: the string is not a KES API key. */
export class InvalidApiKeyError extends Error {
  constructor(reason: string) {
    super(`invalid API key: ${reason}`)
    this.name = 'InvalidApiKeyError'
  }
}

/** newApiKey returns a fresh API key. */
export function newApiKey(): string {
  return PREFIX + Buffer.concat([Buffer.from([0]), randomBytes(32)]).toString('base64')
}

/** parseApiKey turns an API key into its Ed25519 key pair. Throws InvalidApiKeyError. */
export function parseApiKey(apiKey: string): KeyPair {
  const body = apiKey.trim().startsWith(PREFIX) ? apiKey.trim().slice(PREFIX.length) : apiKey.trim()
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw new InvalidApiKeyError('not base64')
  const raw = Buffer.from(body, 'base64')
  if (raw.length !== 33) throw new InvalidApiKeyError('invalid length')
  if (raw[0] !== 0) throw new InvalidApiKeyError('unsupported type')
  const privateKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, raw.subarray(1)]), format: 'der', type: 'pkcs8' })
  return { privateKey, publicKey: createPublicKey(privateKey) }
}

/** apiKeyIdentity returns the identity an API key authenticates as. Throws InvalidApiKeyError. */
export function apiKeyIdentity(apiKey: string): string {
  return identityOfPublicKey(parseApiKey(apiKey).publicKey)
}

/**
 * apiKeyCertificate makes the self-signed client certificate a KES client presents for an API key
 * (CN = identity, client auth, 90 days). Throws InvalidApiKeyError.
 */
export async function apiKeyCertificate(apiKey: string): Promise<{ certPem: string; keyPem: string; identity: string }> {
  const keyPair = parseApiKey(apiKey)
  const identity = identityOfPublicKey(keyPair.publicKey)
  const certPem = await createCertificate({ commonName: identity, keyPair, usage: ['client'], days: 90 })
  return { certPem, keyPem: privateKeyToPem(keyPair.privateKey), identity }
}
