/**
 * Sealing IAM secrets with a Keyhold data key, as MinIO encrypts its IAM data when a KMS is
 * configured: a fresh data key per secret, generated under the default key with the context
 * `{"minio.sys.iam": ACCESS_KEY}`, and the secret sealed with AES-256-GCM bound to the access key.
 * Stored form: `kms:v1:` + base64url(JSON {k: key id, c: KMS ciphertext, n: nonce, s: sealed}).
 *
 * @module
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import type { Kms } from '../kms/kms.js'
import type { SecretSealer } from './secrets.js'

const PREFIX = 'kms:v1:'

/** SealedSecretError: a stored secret is not authentic, malformed, or not sealed by a KMS. */
export class SealedSecretError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SealedSecretError'
  }
}

interface Envelope { k: string; c: string; n: string; s: string }

const context = (accessKey: string): Record<string, string> => ({ 'minio.sys.iam': accessKey })

/** KmsSecretSealer implements SecretSealer with the server's KMS connection. */
export class KmsSecretSealer implements SecretSealer {
  constructor(private readonly kms: Pick<Kms, 'generateKey' | 'decrypt' | 'defaultKey'>) {}

  /** seal generates a data key and seals the secret. Rejects with the KMS's error. */
  async seal(secret: string, accessKey: string): Promise<string> {
    const dk = await this.kms.generateKey(this.kms.defaultKey, context(accessKey))
    try {
      const nonce = randomBytes(12)
      const c = createCipheriv('aes-256-gcm', dk.plaintext, nonce)
      c.setAAD(Buffer.from(accessKey, 'utf8'))
      const sealed = Buffer.concat([c.update(secret, 'utf8'), c.final(), c.getAuthTag()])
      const env: Envelope = { k: dk.keyId, c: dk.ciphertext.toString('base64'), n: nonce.toString('base64'), s: sealed.toString('base64') }
      return PREFIX + Buffer.from(JSON.stringify(env)).toString('base64url')
    } finally {
      dk.plaintext.fill(0)
    }
  }

  /**
   * unseal decrypts the data key through the KMS and opens the secret. Rejects with SealedSecretError
   * for anything not sealed here (including `plain:` secrets) or not authentic, or with the KMS's error.
   */
  async unseal(stored: string, accessKey: string): Promise<string> {
    if (!stored.startsWith(PREFIX)) throw new SealedSecretError('IAM secret is not sealed by the KMS')
    let env: Envelope
    try {
      env = JSON.parse(Buffer.from(stored.slice(PREFIX.length), 'base64url').toString('utf8')) as Envelope
    } catch {
      throw new SealedSecretError('IAM secret envelope is malformed')
    }
    if (typeof env.k !== 'string' || typeof env.c !== 'string' || typeof env.n !== 'string' || typeof env.s !== 'string') {
      throw new SealedSecretError('IAM secret envelope is malformed')
    }
    const key = await this.kms.decrypt(env.k, Buffer.from(env.c, 'base64'), context(accessKey))
    try {
      const sealed = Buffer.from(env.s, 'base64')
      if (sealed.length < 16) throw new SealedSecretError('IAM secret envelope is malformed')
      const d = createDecipheriv('aes-256-gcm', key, Buffer.from(env.n, 'base64'))
      d.setAAD(Buffer.from(accessKey, 'utf8'))
      d.setAuthTag(sealed.subarray(sealed.length - 16))
      try {
        return Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()]).toString('utf8')
      } catch {
        throw new SealedSecretError('IAM secret is not authentic')
      }
    } finally {
      key.fill(0)
    }
  }
}
