/**
 * Validation of credentials and service account fields, with MinIO's limits.
 *
 * @module
 */
import { iamErr } from './errors.js'

/** validateAccessKey requires 3–20 characters without `=` or `,`. Throws IamError XMinioAdminInvalidAccessKey. */
export function validateAccessKey(accessKey: string, maxLength = 20): void {
  if (typeof accessKey !== 'string' || accessKey.length < 3 || accessKey.length > maxLength || /[=,\s]/.test(accessKey)) {
    throw iamErr('XMinioAdminInvalidAccessKey')
  }
}

/** validateSecretKey requires 8–40 characters. Throws IamError XMinioAdminInvalidSecretKey. */
export function validateSecretKey(secretKey: unknown): asserts secretKey is string {
  if (typeof secretKey !== 'string' || secretKey.length < 8 || secretKey.length > 40) throw iamErr('XMinioAdminInvalidSecretKey')
}

/** validateName checks a service account name (≤ 32, `^[a-zA-Z][a-zA-Z0-9_-]*$`). Throws IamError. */
export function validateName(name: string): void {
  if (name !== '' && (name.length > 32 || !/^[a-zA-Z][a-zA-Z0-9_-]*$/.test(name))) {
    throw iamErr('XMinioAdminInvalidArgument', 'The name must start with a letter, contain only letters, digits, - or _, and be at most 32 characters.')
  }
}

/** validateDescription checks a service account description (≤ 256 bytes). Throws IamError. */
export function validateDescription(description: string): void {
  if (Buffer.byteLength(description) > 256) throw iamErr('XMinioAdminInvalidArgument', 'The description must be at most 256 bytes.')
}

const MIN_EXPIRY_MS = 15 * 60 * 1000
const MAX_EXPIRY_MS = 365 * 24 * 3600 * 1000

/**
 * parseExpiration turns an RFC 3339 time into an expiry: null for none (absent, zero time or the
 * Unix epoch), else a date within [now + 15 min, now + 365 days]. Throws IamError otherwise.
 */
export function parseExpiration(value: unknown, now = Date.now()): Date | null {
  if (value === undefined || value === null || value === '') return null
  const t = typeof value === 'string' ? Date.parse(value) : Number.NaN
  if (Number.isNaN(t)) throw iamErr('XMinioAdminInvalidArgument', 'The expiration is not a valid RFC 3339 time.')
  if (t <= 0) return null
  if (t < now + MIN_EXPIRY_MS || t > now + MAX_EXPIRY_MS) {
    throw iamErr('XMinioAdminInvalidArgument', 'The expiration must be between 15 minutes and 365 days from now.')
  }
  return new Date(t)
}

/** validateEntityName checks a group or policy name (non-empty, ≤ 128, no `,`). Throws IamError. */
export function validateEntityName(name: unknown, what: 'group' | 'policy'): asserts name is string {
  if (typeof name !== 'string' || name === '' || name.length > 128 || /[,\s/\\]/.test(name)) {
    throw iamErr('XMinioAdminInvalidArgument', `Invalid ${what} name.`)
  }
}
