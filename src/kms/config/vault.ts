/**
 * The `keystore.vault` section of the server config and how it connects: KES's keys, defaults
 * and `kesconf:` messages, plus two Keyhold extensions (`timeout`, `retry`). See docs/vault.md.
 *
 * @module
 */
import { readFileSync } from 'node:fs'
import { parseDuration } from '../../lib/duration.js'
import { VAULT_DEFAULTS, VaultKeyStore, type VaultConfig, type VaultLog } from '../../../backends/vault/index.js'
import type { KeyStore } from '../keystore/keystore.js'
import type { Logger } from '../observability/logger.js'

const INVALID = 'kesconf: invalid vault keystore'

/**
 * parseVaultConfig validates the raw `keystore.vault` YAML value and fills in KES's defaults.
 * Whole-scalar `${NAME}` references are replaced from the environment. Throws an Error with a
 * `kesconf:` message naming the problem (no endpoint, no or two auth methods, missing approle
 * ID/secret or JWT, unreadable JWT file, transit without key, half a TLS key pair, bad version or
 * duration, unset env variable).
 */
export function parseVaultConfig(raw: unknown): VaultConfig {
  const v = section(raw, 'keystore.vault') ?? {}
  const endpoint = str(v.endpoint)
  if (!endpoint) throw new Error(`${INVALID}: no endpoint specified`)
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    throw new Error(`${INVALID}: invalid endpoint '${endpoint}'`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`${INVALID}: invalid endpoint '${endpoint}'`)
  const approle = section(v.approle, 'approle')
  const kubernetes = section(v.kubernetes, 'kubernetes')
  if (!approle && !kubernetes) throw new Error(`${INVALID}: no authentication method specified`)
  if (approle && kubernetes) throw new Error(`${INVALID}: more than one authentication method specified`)

  const version = str(v.version) || VAULT_DEFAULTS.version
  if (version !== 'v1' && version !== 'v2') throw new Error(`${INVALID}: invalid engine API version '${version}'`)
  const cfg: VaultConfig = {
    endpoint: endpoint.replace(/\/+$/, ''),
    engine: str(v.engine) || VAULT_DEFAULTS.engine,
    version,
    namespace: str(v.namespace),
    prefix: str(v.prefix),
    tls: {},
    pingMs: duration(section(v.status, 'status')?.ping, 'status.ping') ?? VAULT_DEFAULTS.pingMs,
    timeoutMs: duration(v.timeout, 'timeout') ?? VAULT_DEFAULTS.timeoutMs,
    retries: VAULT_DEFAULTS.retries,
    retryDelayMs: VAULT_DEFAULTS.retryDelayMs,
  }
  if (approle) {
    const id = str(approle.id)
    const secret = str(approle.secret)
    if (!id) throw new Error(`${INVALID}: invalid approle config: no approle ID specified`)
    if (!secret) throw new Error(`${INVALID}: invalid approle config: no approle secret specified`)
    cfg.approle = { engine: str(approle.engine) || VAULT_DEFAULTS.approleEngine, id, secret, ...loginNamespace(approle.namespace) }
  }
  if (kubernetes) {
    const jwt = str(kubernetes.jwt)
    if (!jwt) throw new Error(`${INVALID}: invalid kubernetes config: no JWT specified`)
    if (jwt.includes('/')) {
      try {
        readFileSync(jwt) // fail at start-up, not at the first login; re-read at every login
      } catch (err) {
        throw new Error(`kesconf: failed to read vault kubernetes JWT from '${jwt}': ${(err as Error).message}`, { cause: err })
      }
    }
    const engine = str(kubernetes.engine) || VAULT_DEFAULTS.kubernetesEngine
    cfg.kubernetes = { engine, role: str(kubernetes.role), jwt, ...loginNamespace(kubernetes.namespace) }
  }
  const transit = section(v.transit, 'transit')
  if (transit) {
    const key = str(transit.key)
    if (!key) throw new Error(`${INVALID}: invalid transit config: no key name specified`)
    cfg.transit = { engine: str(transit.engine) || VAULT_DEFAULTS.transitEngine, key }
  }
  const tls = section(v.tls, 'tls') ?? {}
  const [key, cert, ca] = [str(tls.key), str(tls.cert), str(tls.ca)]
  if (key && !cert) throw new Error(`${INVALID}: invalid tls config: no TLS certificate provided`)
  if (!key && cert) throw new Error(`${INVALID}: invalid tls config: no TLS private key provided`)
  cfg.tls = { ...(key ? { key } : {}), ...(cert ? { cert } : {}), ...(ca ? { ca } : {}) }
  const retry = section(v.retry, 'retry')
  if (retry) {
    const max = resolve(retry.max)
    if (max !== undefined) {
      const n = Number(max)
      if (!Number.isInteger(n) || n < 0 || n > 10) throw new Error(`${INVALID}: invalid retry.max '${String(max)}'`)
      cfg.retries = n
    }
    cfg.retryDelayMs = duration(retry.delay, 'retry.delay') ?? cfg.retryDelayMs
  }
  return Object.freeze(cfg)
}

/**
 * connectVault logs in to Vault and returns the keystore. `log` (the server's error logger, or a
 * plain function) receives the keystore's warnings: 403s with their path, failed renewals, health
 * changes; default: JSON lines on stderr. Throws when login fails or Vault cannot be reached.
 */
export function connectVault(config: VaultConfig, log?: VaultLog | Logger): Promise<KeyStore> {
  if (log === undefined) return VaultKeyStore.connect(config)
  const fn: VaultLog = typeof log === 'function' ? log : (level, msg, fields) => log[level](fields ?? {}, msg)
  return VaultKeyStore.connect(config, { log: fn })
}

type Section = Record<string, unknown>

function section(v: unknown, name: string): Section | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'object' || Array.isArray(v)) throw new Error(`${INVALID}: '${name}' must be a mapping`)
  return v as Section
}

/** KES's env[T]: a whole scalar `${NAME}` (trimmed) is replaced by the variable, which must exist. */
function resolve(v: unknown): unknown {
  if (typeof v !== 'string') return v
  const m = /^\$\{\s*([^}]*?)\s*\}$/.exec(v.trim())
  if (!m) return v
  const value = process.env[m[1]!]
  if (value === undefined) throw new Error(`kesconf: referenced env. variable '${m[1]}' not found`)
  return value
}

function str(v: unknown): string {
  const r = resolve(v)
  if (r === undefined || r === null) return ''
  if (typeof r === 'string') return r.trim()
  if (typeof r === 'number' || typeof r === 'boolean') return String(r)
  throw new Error(`${INVALID}: expected a string, got ${typeof r}`)
}

/** `/` names the root namespace for the login call; unset falls back to the keystore namespace. */
function loginNamespace(v: unknown): { namespace?: string } {
  const ns = str(v)
  if (!ns) return {}
  return { namespace: ns === '/' ? '' : ns }
}

/** Parses a positive Go duration (`15s`, `1m30s`, `500ms`) into milliseconds; `undefined` when unset. */
function duration(v: unknown, name: string): number | undefined {
  const s = str(v)
  if (!s) return undefined
  const ms = parseDuration(s)
  if (ms === undefined || ms <= 0) throw new Error(`${INVALID}: invalid ${name} duration '${s}'`)
  return ms
}
