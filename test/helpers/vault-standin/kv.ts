/**
 * Vault stand-in: KV v1 and KV v2 engines, answering as a real Vault does
 * (docs/vault.md, "What the stand-in answers").
 *
 * @module
 */
import { envelope, fail, noContent, ok, type Reply } from './reply.js'
import { childNames, type KvV2Secret, type Mount } from './state.js'

/** The method after `GET ?list=true` has been folded into LIST. */
export type Verb = 'GET' | 'PUT' | 'DELETE' | 'LIST'

/** KV v1's default lease, reported on reads (32 days). */
const KV1_LEASE = 2_764_800

const V2_MISMATCH_WARNING =
  "Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv get' for this operation."

/** kv1 serves `rest` (the path inside the mount) on a KV v1 mount. */
export function kv1(mount: Extract<Mount, { version: 1 }>, verb: Verb, rest: string, body: unknown): Reply {
  switch (verb) {
    case 'GET': {
      const data = mount.secrets.get(rest)
      return data ? ok(data, { lease_duration: KV1_LEASE }) : fail(404)
    }
    case 'LIST':
      return listAnswer(childNames(mount.secrets.keys(), rest))
    case 'PUT': {
      if (!isObject(body) || Object.keys(body).length === 0) return fail(400, 'missing data fields')
      if (rest === '') return fail(405, 'unsupported operation')
      mount.secrets.set(rest, body)
      return noContent()
    }
    case 'DELETE':
      mount.secrets.delete(rest)
      return noContent()
  }
}

/** kv2 serves `rest` on a KV v2 mount: `data/...`, `metadata/...`, or a v1-style path (404 + warning). */
export function kv2(mount: Extract<Mount, { version: 2 }>, verb: Verb, rest: string, query: URLSearchParams, body: unknown): Reply {
  const [area, ...tail] = rest.split('/')
  const path = tail.join('/')
  if (area === 'data' && verb !== 'LIST') return data(mount, verb, path, query, body)
  if (area === 'metadata') return metadata(mount, verb, path)
  return { status: 404, body: envelope(null, { warnings: [V2_MISMATCH_WARNING] }) }
}

function data(mount: Extract<Mount, { version: 2 }>, verb: Verb, path: string, query: URLSearchParams, body: unknown): Reply {
  const secret = mount.secrets.get(path)
  if (verb === 'GET') {
    if (!secret) return fail(404)
    const n = query.has('version') && query.get('version') !== '0' ? Number(query.get('version')) : secret.current
    const version = secret.versions.get(n)
    if (!version) return fail(404)
    const gone = version.destroyed || version.deletionTime !== ''
    const payload = { data: gone ? null : version.data, metadata: versionMeta(version, n) }
    return gone ? { status: 404, body: envelope(payload) } : ok(payload)
  }
  if (verb === 'DELETE') {
    // Soft delete of the latest version: metadata stays (KES never does this; tests use it).
    const latest = secret?.versions.get(secret.current)
    if (latest) latest.deletionTime = new Date().toISOString()
    return noContent()
  }
  if (!isObject(body) || !isObject(body.data)) return fail(400, 'no data provided')
  const options = isObject(body.options) ? body.options : {}
  const current = secret?.current ?? 0
  if (options.cas === undefined) {
    if (mount.casRequired) return fail(400, 'check-and-set parameter required for this call')
  } else {
    if (typeof options.cas !== 'number' || !Number.isInteger(options.cas)) return fail(400, 'error parsing check-and-set parameter')
    if (options.cas !== current) return fail(400, 'check-and-set parameter did not match the current version')
  }
  const next: KvV2Secret = secret ?? { versions: new Map(), current: 0 }
  const n = current + 1
  const version = { data: body.data, createdTime: new Date().toISOString(), deletionTime: '', destroyed: false }
  next.versions.set(n, version)
  next.current = n
  mount.secrets.set(path, next)
  return ok(versionMeta(version, n))
}

function metadata(mount: Extract<Mount, { version: 2 }>, verb: Verb, path: string): Reply {
  switch (verb) {
    case 'LIST':
      return listAnswer(childNames(mount.secrets.keys(), path))
    case 'DELETE':
      mount.secrets.delete(path)
      return noContent()
    case 'GET': {
      const secret = mount.secrets.get(path)
      if (!secret) return fail(404)
      return ok({ current_version: secret.current, versions: Object.fromEntries([...secret.versions].map(([n, v]) => [n, versionMeta(v, n)])) })
    }
    case 'PUT':
      return noContent()
  }
}

function versionMeta(v: { createdTime: string; deletionTime: string; destroyed: boolean }, n: number) {
  return { created_time: v.createdTime, custom_metadata: null, deletion_time: v.deletionTime, destroyed: v.destroyed, version: n }
}

function listAnswer(keys: string[]): Reply {
  return keys.length === 0 ? fail(404) : ok({ keys })
}

/** isObject: a JSON object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
