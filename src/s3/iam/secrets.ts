/**
 * How secrets rest in the IAM database: sealed by a {@link SecretSealer} (a Keyhold data key when a
 * KMS is configured) or stored as `plain:` text otherwise; and how generated credentials look.
 *
 * @module
 */
import { randomBytes, randomInt } from 'node:crypto'

/** SecretSealer seals and unseals secret keys; the access key is bound as associated data. */
export interface SecretSealer {
  /** seal returns an opaque string. Rejects when the KMS is unreachable. */
  seal(secret: string, accessKey: string): Promise<string>
  /** unseal reverses seal. Rejects when the string is not authentic or the KMS is unreachable. */
  unseal(sealed: string, accessKey: string): Promise<string>
}

const PLAIN = 'plain:'

/** plainSealer stores secrets unsealed (no KMS configured); it still unseals nothing it did not make. */
export const plainSealer: SecretSealer = {
  seal: (secret) => Promise.resolve(PLAIN + secret),
  unseal: (sealed) => sealed.startsWith(PLAIN)
    ? Promise.resolve(sealed.slice(PLAIN.length))
    : Promise.reject(new Error('IAM secret is sealed, but no KMS is configured')),
}

const ALNUM_UPPER = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'

/** generateAccessKey returns 20 characters from [0-9A-Z], as MinIO does. Never throws. */
export function generateAccessKey(): string {
  let out = ''
  for (let i = 0; i < 20; i++) out += ALNUM_UPPER[randomInt(ALNUM_UPPER.length)]
  return out
}

/** generateSecretKey returns MinIO's 40-character secret: base64 (raw) of 30 random bytes, `/` → `+`. */
export function generateSecretKey(): string {
  return randomBytes(30).toString('base64').replace(/=+$/, '').replaceAll('/', '+')
}
