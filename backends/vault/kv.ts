/**
 * KV v1 and v2, as KES uses them: where a key lives, what each request looks like, and how each
 * answer is read. Pure: sending is the keystore's job.
 *
 * @module
 */
import { escapePath } from './auth.js'
import type { VaultRequest, VaultResponse } from './client.js'
import type { VaultConfig } from './config.js'
import { vaultErrors } from './errors.js'
import { serverText } from '../server-text.js'

/** The parts of the config that decide paths. */
export type KvLayout = Pick<VaultConfig, 'engine' | 'prefix' | 'version'>

/** A request without the token, namespace and signal the keystore adds. */
export type KvRequest = Pick<VaultRequest, 'method' | 'path' | 'query' | 'body'>

/** What a read found. */
export type ReadResult = { found: true; value: string } | { found: false }

/** The one answer that says another writer created the v2 secret first. */
const CAS_MISMATCH = 'check-and-set parameter did not match the current version'

function secretPath(kv: KvLayout, sub: '' | 'data' | 'metadata', name: string): string {
  return '/v1/' + escapePath(kv.engine, sub, kv.prefix, name)
}

/**
 * readRequest reads `name`: v1 the secret, v2 its data path. Get pins `?version=1` on v2 (KES
 * writes each key once); the create probe reads the latest version.
 */
export function readRequest(kv: KvLayout, name: string, pinVersion: boolean): KvRequest {
  if (kv.version === 'v1') return { method: 'GET', path: secretPath(kv, '', name) }
  return { method: 'GET', path: secretPath(kv, 'data', name), ...(pinVersion ? { query: { version: '1' } } : {}) }
}

/**
 * parseRead interprets a read answer (2xx or 404). Throws an Error for answers that are neither a
 * key nor a clean miss: a v1 client on a v2 mount, a soft-deleted v2 version, a missing or
 * non-string field, an unknown mount, or any other status.
 */
export function parseRead(kv: KvLayout, name: string, res: VaultResponse): ReadResult {
  const body = (res.body ?? {}) as { data?: unknown; warnings?: unknown }
  const data = body.data
  if (res.status === 404) {
    const errors = vaultErrors(res.body)
    const clean = errors !== undefined && errors.length === 0 && (data === undefined || data === null) && !hasWarnings(body)
    if (clean || res.body === undefined) return { found: false }
    if (errors && errors.length > 0) throw new Error(`vault: reading '${name}': ${serverText(errors.join('; '))}`)
  } else if (res.status < 200 || res.status > 299) {
    throw new Error(`vault: reading '${name}': HTTP ${res.status}`)
  }
  if (kv.version === 'v1') {
    const field = isObject(data) ? data[name] : undefined
    if (field === undefined) throw new Error(`vault: reading '${name}': invalid K/V v1 format`)
    return asString(name, field)
  }
  const inner = isObject(data) ? data.data : undefined
  if (inner === undefined || inner === null) throw new Error(`vault: reading '${name}': entry exists but no secret key is present`)
  if (!isObject(inner) || inner[name] === undefined) throw new Error(`vault: reading '${name}': invalid K/V v2 format`)
  return asString(name, inner[name])
}

/** writeRequest creates the secret: v1 a plain write, v2 a write that only succeeds if absent (`cas: 0`). */
export function writeRequest(kv: KvLayout, name: string, value: string): KvRequest {
  if (kv.version === 'v1') return { method: 'PUT', path: secretPath(kv, '', name), body: { [name]: value } }
  return { method: 'PUT', path: secretPath(kv, 'data', name), body: { options: { cas: 0 }, data: { [name]: value } } }
}

/** isCasRace reports whether a v2 write lost a creation race (the key exists now). */
export function isCasRace(res: VaultResponse): boolean {
  return res.status === 400 && (vaultErrors(res.body) ?? []).some((e) => e.includes(CAS_MISMATCH))
}

/** deleteRequest removes the key: v1 the secret, v2 its metadata (all versions, permanently). */
export function deleteRequest(kv: KvLayout, name: string): KvRequest {
  return { method: 'DELETE', path: secretPath(kv, kv.version === 'v1' ? '' : 'metadata', name) }
}

/** listRequest lists the prefix folder with `GET ?list=true` (some proxies reject the LIST verb). */
export function listRequest(kv: KvLayout, verb: 'GET' | 'LIST' = 'GET'): KvRequest {
  const path = '/v1/' + escapePath(kv.engine, kv.version === 'v1' ? '' : 'metadata', kv.prefix)
  return { method: verb, path, query: { list: 'true' } }
}

/**
 * parseList returns the secret names of a list answer; sub-folders (`x/`) are dropped. A 404 with
 * an empty `errors` array is an empty folder. Throws an Error for anything else (e.g. a 404
 * naming an unknown mount).
 */
export function parseList(res: VaultResponse): string[] {
  if (res.status === 404) {
    const errors = vaultErrors(res.body)
    if (res.body === undefined || (errors !== undefined && errors.length === 0)) return []
    throw new Error(`vault: listing keys: ${serverText((errors ?? []).join('; ')) || 'HTTP 404'}`)
  }
  if (res.status < 200 || res.status > 299) throw new Error(`vault: listing keys: HTTP ${res.status}`)
  const data = (res.body as { data?: unknown } | undefined)?.data
  const keys = isObject(data) ? data.keys : undefined
  if (keys === undefined || keys === null) return []
  if (!Array.isArray(keys)) throw new Error('vault: listing keys: invalid answer')
  return keys.filter((k): k is string => typeof k === 'string' && !k.endsWith('/'))
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function hasWarnings(body: { warnings?: unknown }): boolean {
  return Array.isArray(body.warnings) && body.warnings.length > 0
}

function asString(name: string, v: unknown): ReadResult {
  if (typeof v !== 'string') throw new Error(`vault: reading '${name}': the stored value is not a string`)
  return { found: true, value: v }
}
