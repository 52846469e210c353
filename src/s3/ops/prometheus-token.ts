/**
 * MinIO's Prometheus bearer token (`mc admin prometheus generate`): a JWT signed HS512 with the secret key of
 * the access key in `sub`, issuer `prometheus`, with an expiry. Verified as MinIO's `metricsRequestAuthenticate`:
 * the secret is looked up by the claimed access key, then the signature, the expiry and the issuer are checked.
 *
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { Credential, CredentialProvider } from '../extensions.js'

/** MAX_TOKEN_BYTES bounds the Authorization header we parse. */
const MAX_TOKEN_BYTES = 8 * 1024

/** PROMETHEUS_ISSUER is the `iss` claim MinIO requires. */
const PROMETHEUS_ISSUER = 'prometheus'

const ALGS: Record<string, 'sha256' | 'sha384' | 'sha512'> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url')

/**
 * signPrometheusToken makes MinIO's token for an access key (what `admin prometheus generate` prints).
 * `expiresAt` is in seconds since the epoch (MinIO: 100 years on). Throws nothing.
 */
export function signPrometheusToken(accessKey: string, secretKey: string, expiresAt: number): string {
  const header = b64url(JSON.stringify({ alg: 'HS512', typ: 'JWT' }))
  const claims = b64url(JSON.stringify({ exp: expiresAt, sub: accessKey, iss: PROMETHEUS_ISSUER }))
  const sig = createHmac('sha512', secretKey).update(`${header}.${claims}`).digest()
  return `${header}.${claims}.${b64url(sig)}`
}

function parseJson(part: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/**
 * verifyPrometheusToken checks an `Authorization: Bearer …` header; resolves the credential it proves, or
 * undefined for a missing, malformed, forged, expired or foreign token, an unknown or disabled access key.
 * Only HMAC algorithms are accepted (never `none`). Rejects only when the credential lookup rejects.
 */
export async function verifyPrometheusToken(authorization: string | undefined, credentials: CredentialProvider, nowMs = Date.now()): Promise<Credential | undefined> {
  if (authorization === undefined || authorization.length > MAX_TOKEN_BYTES) return undefined
  const m = /^Bearer ([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(authorization.trim())
  if (m === null) return undefined
  const [, h, c, s] = m as unknown as [string, string, string, string]
  const header = parseJson(h)
  const claims = parseJson(c)
  // Own properties only: a token naming 'constructor' must not find Object.prototype's members.
  const alg = typeof header?.alg === 'string' && Object.hasOwn(ALGS, header.alg) ? ALGS[header.alg] : undefined
  if (alg === undefined || claims === undefined) return undefined
  // MinIO's MapClaims take the access key from `accessKey`, else `sub`.
  const accessKey = typeof claims.accessKey === 'string' ? claims.accessKey : claims.sub
  if (typeof accessKey !== 'string' || accessKey === '') return undefined
  const credential = await credentials.lookup(accessKey)
  if (credential === undefined || credential.disabled === true) return undefined
  const expected = createHmac(alg, credential.secretKey).update(`${h}.${c}`).digest()
  const given = Buffer.from(s, 'base64url')
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= nowMs) return undefined
  if (claims.iss !== PROMETHEUS_ISSUER) return undefined
  return credential
}
