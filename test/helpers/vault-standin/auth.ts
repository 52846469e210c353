/**
 * Vault stand-in: AppRole and Kubernetes login, renew-self, and token checks.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { isObject } from './kv.js'
import { denied, envelope, fail, type Reply } from './reply.js'
import type { TokenInfo } from './state.js'

/** Login credentials the stand-in accepts. */
export interface AuthSpec {
  approle?: { mount?: string; roleId: string; secretId: string }
  kubernetes?: { mount?: string; role: string; jwt: string }
}

/** Token settings of newly issued tokens (changeable at run time). */
export interface TokenPolicy {
  ttlSec: number
  renewable: boolean
  /** Max TTL in seconds (0 = none): renew-self grants only what is left of it. */
  maxTtlSec: number
}

/** Tokens keeps the issued tokens. */
export class Tokens {
  readonly issued = new Map<string, TokenInfo>()

  /** issue makes a token valid in `namespace` and its children. */
  issue(namespace: string, policy: TokenPolicy): { token: string; info: TokenInfo } {
    const token = 'hvs.' + randomBytes(18).toString('base64url')
    const maxExpiresAt = policy.maxTtlSec > 0 ? expiry(policy.maxTtlSec) : Number.POSITIVE_INFINITY
    const info = { namespace, ttlSec: policy.ttlSec, renewable: policy.renewable, expiresAt: expiry(policy.ttlSec), maxExpiresAt }
    this.issued.set(token, info)
    return { token, info }
  }

  /** valid reports whether `token` is live and may act in `namespace`. */
  valid(token: string | undefined, namespace: string): TokenInfo | undefined {
    const info = token ? this.issued.get(token) : undefined
    if (!info || Date.now() >= info.expiresAt) return undefined
    if (info.namespace !== '' && namespace !== info.namespace && !namespace.startsWith(info.namespace + '/')) return undefined
    return info
  }

  /** expireAll makes every issued token invalid (as if its TTL ran out). */
  expireAll(): void {
    for (const info of this.issued.values()) info.expiresAt = 0
  }
}

function expiry(ttlSec: number): number {
  return ttlSec === 0 ? Number.POSITIVE_INFINITY : Date.now() + ttlSec * 1000
}

function authReply(token: string, info: TokenInfo): Reply {
  const auth = {
    client_token: token,
    accessor: randomBytes(12).toString('base64url'),
    policies: ['default', 'keyhold'],
    token_policies: ['default', 'keyhold'],
    metadata: {},
    lease_duration: info.ttlSec,
    renewable: info.renewable,
    entity_id: '',
    token_type: 'service',
    orphan: true,
  }
  return { status: 200, body: envelope(null, { auth }) }
}

/** login serves `auth/<mount>/login`; `undefined` when `mount` is no login mount. */
export function login(spec: AuthSpec, tokens: Tokens, policy: TokenPolicy, mount: string, namespace: string, body: unknown): Reply | undefined {
  const b = isObject(body) ? body : {}
  if (spec.approle && mount === (spec.approle.mount ?? 'approle')) {
    if (typeof b.role_id !== 'string' || b.role_id === '') return fail(400, 'missing role_id')
    if (b.role_id !== spec.approle.roleId || b.secret_id !== spec.approle.secretId) return fail(400, 'invalid role or secret ID')
  } else if (spec.kubernetes && mount === (spec.kubernetes.mount ?? 'kubernetes')) {
    if (b.role !== spec.kubernetes.role) return fail(400, `invalid role name "${String(b.role)}"`)
    if (b.jwt !== spec.kubernetes.jwt) return denied()
  } else {
    return undefined
  }
  const { token, info } = tokens.issue(namespace, policy)
  return authReply(token, info)
}

/** renewSelf serves `auth/token/renew-self`: 403 for a dead token, 400 for a non-renewable one. */
export function renewSelf(tokens: Tokens, token: string | undefined, namespace: string): Reply {
  const info = tokens.valid(token, namespace)
  if (!info) return denied()
  if (!info.renewable) return fail(400, 'lease is not renewable')
  const full = expiry(info.ttlSec)
  info.expiresAt = Math.min(full, info.maxExpiresAt)
  // Vault grants the whole TTL unless the max TTL cuts it; only then is the lease what is left of it.
  // (Computing it from the clock in both cases could report 59.999 for a 60 s TTL.)
  if (full <= info.maxExpiresAt) return authReply(token!, info)
  const left = Math.max(0, (info.expiresAt - Date.now()) / 1000)
  return authReply(token!, { ...info, ttlSec: Math.min(info.ttlSec, Math.round(left * 1000) / 1000) })
}
