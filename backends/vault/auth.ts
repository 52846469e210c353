/**
 * Vault authentication: AppRole or Kubernetes login, and `renew-self`.
 *
 * @module
 */
import { readFile } from 'node:fs/promises'
import type { VaultClient } from './client.js'
import type { VaultConfig } from './config.js'
import { VaultHttpError, vaultErrors } from './errors.js'

/** A Vault token and its lifetime as Vault reported it. */
export interface VaultToken {
  token: string
  /** Seconds; 0 means the token never expires. */
  ttlSec: number
  renewable: boolean
}

/**
 * login authenticates with the configured method (exactly one of approle and kubernetes).
 * `current` is attached as X-Vault-Token on re-logins, as the Go client does.
 * Throws VaultHttpError for a refused login, VaultNetworkError when Vault cannot be reached, and
 * an Error when the JWT file cannot be read or the answer carries no token.
 */
export async function login(client: VaultClient, cfg: VaultConfig, current: string, signal?: AbortSignal): Promise<VaultToken> {
  let engine: string
  let body: Record<string, string>
  let loginNs: string | undefined
  if (cfg.approle) {
    engine = cfg.approle.engine
    body = { role_id: cfg.approle.id, secret_id: cfg.approle.secret }
    loginNs = cfg.approle.namespace
  } else if (cfg.kubernetes) {
    engine = cfg.kubernetes.engine
    body = { role: cfg.kubernetes.role, jwt: await readJwt(cfg.kubernetes.jwt) }
    loginNs = cfg.kubernetes.namespace
  } else {
    throw new Error('vault: no authentication method configured')
  }
  const path = `/v1/auth/${escapePath(engine)}/login`
  const res = await client.request({
    method: 'PUT',
    path,
    body,
    token: current,
    namespace: loginNs ?? cfg.namespace,
    signal,
  })
  if (res.status < 200 || res.status > 299) throw new VaultHttpError(res.status, 'PUT', path, vaultErrors(res.body) ?? [])
  const token = parseAuth(res.body)
  if (!token) throw new Error(`vault: PUT ${path}: the answer carries no token`)
  return token
}

/**
 * renewSelf extends the token's lease (`PUT /v1/auth/token/renew-self`, increment 0), sent with
 * the keystore namespace. Throws VaultHttpError (4xx: the token cannot be renewed) or
 * VaultNetworkError.
 */
export async function renewSelf(client: VaultClient, cfg: VaultConfig, token: string, signal?: AbortSignal): Promise<VaultToken> {
  const path = '/v1/auth/token/renew-self'
  const res = await client.request({ method: 'PUT', path, body: { increment: 0 }, token, namespace: cfg.namespace, signal })
  if (res.status < 200 || res.status > 299) throw new VaultHttpError(res.status, 'PUT', path, vaultErrors(res.body) ?? [])
  const renewed = parseAuth(res.body)
  if (!renewed) throw new Error(`vault: PUT ${path}: the answer carries no token`)
  return renewed
}

/** The token is under `auth` (the top-level lease fields are 0); `data` is the Go helpers' fallback. */
function parseAuth(body: unknown): VaultToken | undefined {
  if (typeof body !== 'object' || body === null) return undefined
  const b = body as { auth?: Record<string, unknown> | null; data?: Record<string, unknown> | null }
  const auth = b.auth
  if (auth && typeof auth.client_token === 'string' && auth.client_token !== '') {
    return { token: auth.client_token, ttlSec: num(auth.lease_duration), renewable: auth.renewable === true }
  }
  const data = b.data
  if (data && typeof data.id === 'string' && data.id !== '') {
    return { token: data.id, ttlSec: num(data.ttl), renewable: data.renewable === true }
  }
  return undefined
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0
}

/** A JWT containing a path separator is a file path, re-read at every login so rotated tokens work. */
async function readJwt(jwt: string): Promise<string> {
  if (!jwt.includes('/')) return jwt
  try {
    return (await readFile(jwt, 'utf8')).trim()
  } catch (err) {
    throw new Error(`vault: cannot read the kubernetes JWT file '${jwt}'`, { cause: err })
  }
}

/** escapePath joins path segments KES-style (empty parts vanish) and escapes each segment. */
export function escapePath(...parts: string[]): string {
  return parts
    .flatMap((p) => p.split('/'))
    .filter((s) => s !== '' && s !== '.')
    .map((s) => encodeURIComponent(s))
    .join('/')
}
