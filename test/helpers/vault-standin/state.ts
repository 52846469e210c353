/**
 * Vault stand-in: the state a Vault holds (mounts with their secrets, tokens) and the knobs tests
 * turn (seal, latency, failures, denied paths).
 *
 * @module
 */

/** One version of a KV v2 secret. */
export interface KvVersion {
  data: Record<string, unknown> | null
  createdTime: string
  deletionTime: string
  destroyed: boolean
}

/** A KV v2 secret: versions by number (1-based) and the current version. */
export interface KvV2Secret {
  versions: Map<number, KvVersion>
  current: number
}

/** A mounted secrets engine. */
export type Mount =
  | { type: 'kv'; version: 1; secrets: Map<string, Record<string, unknown>> }
  | { type: 'kv'; version: 2; secrets: Map<string, KvV2Secret>; casRequired: boolean }
  | { type: 'transit'; keys: Map<string, Buffer[]> }

/** Mount declaration of the stand-in's options. */
export interface MountSpec {
  path: string
  type: 'kv' | 'transit'
  /** KV version (default 1). */
  version?: 1 | 2
  /** Namespace the mount lives in ('' = root, the default). */
  namespace?: string
  casRequired?: boolean
}

/** A token the stand-in issued. */
export interface TokenInfo {
  namespace: string
  ttlSec: number
  renewable: boolean
  expiresAt: number
  /** The token's max TTL ends here: renewals never reach past it. */
  maxExpiresAt: number
}

/** One request as the stand-in saw it. */
export interface LoggedRequest {
  method: string
  path: string
  query: Record<string, string>
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** Faults to inject into the next requests. */
export interface Faults {
  latencyMs: number
  /** Answer the next `count` requests (matching `pathPrefix`, if set) with `status` (and `message` as the error). */
  failNext: { count: number; status: number; pathPrefix?: string; retryAfter?: string; message?: string }
  /** Drop the connection of the next `count` requests without answering. */
  dropNext: number
  /** Carry out the next `count` requests, then drop the connection instead of answering. */
  dropAnswerNext: number
  /** Paths (after `/v1/`) answered 403 even with a good token. */
  deniedPrefixes: Set<string>
  /** Answer every request with `307 Location: <redirectTo><path>` (a node sending clients elsewhere). */
  redirectTo?: string
}

/** The seal/health state. */
export interface Health {
  initialized: boolean
  sealed: boolean
  standby: boolean
}

/** mountKey names a mount inside its namespace. */
export const mountKey = (namespace: string, path: string): string => `${namespace}|${path}`

/** makeMount builds an empty mount from its declaration. */
export function makeMount(spec: MountSpec): Mount {
  if (spec.type === 'transit') return { type: 'transit', keys: new Map() }
  if (spec.version === 2) return { type: 'kv', version: 2, secrets: new Map(), casRequired: spec.casRequired ?? false }
  return { type: 'kv', version: 1, secrets: new Map() }
}

/**
 * childNames lists the immediate children of `dir` among `paths`, Vault-style: secrets by name,
 * deeper paths as `folder/`, sorted, without duplicates.
 */
export function childNames(paths: Iterable<string>, dir: string): string[] {
  const base = dir === '' || dir.endsWith('/') ? dir : dir + '/'
  const out = new Set<string>()
  for (const p of paths) {
    if (!p.startsWith(base) || p === base) continue
    const rest = p.slice(base.length)
    const slash = rest.indexOf('/')
    out.add(slash === -1 ? rest : rest.slice(0, slash + 1))
  }
  return [...out].sort()
}
