/**
 * Shapes of KES API answers, with the wire's field names (docs/kes-compatibility.md,
 * "Response shapes"), so `--json` output and programs see exactly what the server sent.
 *
 * @module
 */

/** GET /version. */
export interface VersionResponse {
  version: string
  commit: string
}

/** GET /v1/status. `uptime` in seconds, `keystore_latency` in milliseconds (absent when unreachable). */
export interface StatusResponse {
  version: string
  os: string
  arch: string
  uptime: number
  num_cpu: number
  num_cpu_used: number
  mem_heap_used: number
  mem_stack_used: number
  keystore_latency?: number
  keystore_unreachable?: boolean
  keystore_unavailable?: boolean
}

/** One entry of GET /v1/api: `max_body` in bytes, `timeout` in whole seconds (0 = none). */
export interface ApiDescription {
  method: string
  path: string
  max_body: number
  timeout: number
}

/** GET /v1/key/describe/<name>. */
export interface KeyInfo {
  name: string
  algorithm?: string
  created_at: string
  created_by?: string
  /** Keyhold, rotated keys only: the current version (docs/key-rotation.md). */
  version?: number
  /** Keyhold, rotated keys only: every version, newest first. */
  versions?: KeyVersionInfo[]
}

/** One version of a rotated key (Keyhold's describe). */
export interface KeyVersionInfo {
  version: number
  created_at: string
}

/** PUT /v1/key/rotate/<name> (Keyhold). */
export interface RotatedKey {
  name: string
  version: number
  created_at: string
}

/** GET /v1/policy/describe/<name>. */
export interface PolicyInfo {
  name: string
  created_at?: string
  created_by?: string
}

/** GET /v1/policy/read/<name>: allow and deny map each path pattern to `{}`. */
export interface Policy extends PolicyInfo {
  allow?: Record<string, object>
  deny?: Record<string, object>
}

/** GET /v1/identity/describe/<identity>. */
export interface IdentityInfo {
  admin?: boolean
  policy?: string
  created_at?: string
  created_by?: string
}

/** GET /v1/identity/self/describe (the flat shape kms-go decodes). */
export interface SelfInfo extends IdentityInfo {
  identity: string
  allow?: Record<string, object>
  deny?: Record<string, object>
}

/** One event of GET /v1/log/audit (`response.time` as the server reports it). */
export interface AuditEvent {
  time: string
  request: { ip?: string; path: string; identity?: string; method?: string }
  response: { code: number; time?: number }
  [extra: string]: unknown
}

/** One event of GET /v1/log/error. */
export interface ErrorEvent {
  message: string
}

/** `GET /v1/key/state/<name>` (Keyhold extension). */
export interface KeyStateInfo {
  name: string
  state: 'enabled' | 'disabled' | 'scheduled'
  /** Whether decrypt works (false for a scheduled key). */
  decrypt: boolean
  changed_at?: string
  changed_by?: string
  /** When a scheduled key is purged. */
  delete_at?: string
}

/** `PUT /v1/policy/explain/<identity>` (Keyhold extension). */
export interface PolicyExplanation {
  identity: string
  method: string
  path: string
  /** The route the path reaches, and how it authenticates. */
  route?: string
  auth?: 'none' | 'skip' | 'identify' | 'policy'
  decision: 'admin' | 'allow' | 'deny' | 'none'
  /** The request reaches its handler; else `status` is the server's answer (301, 403, 404, 405). */
  allowed: boolean
  status?: number
  policy?: string
  allow?: string[]
  deny?: string[]
  reason: string
}
