/**
 * The validated server configuration: what `loadConfigFile` produces and `startKmsServer` takes.
 *
 * @module
 */
import type { KeyStore } from '../keystore/keystore.js'
import type { PolicyDefinition } from '../policy/policy.js'
import type { EtcdConfig } from '../../../backends/etcd/index.js'
import type { VaultConfig } from '../../../backends/vault/index.js'

/** Log levels of the error and audit logs (`on` = info, `off` = silent). */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'

/** Per-route overrides from the `api:` section, keyed by the exact route path. */
export interface RouteOverride {
  skipAuth?: boolean
  timeoutMs?: number
}

/** TLS material, already read from disk. */
export interface TlsConfig {
  certPem: string
  keyPem: string
  /** Decrypts an encrypted PEM private key. */
  password?: string
  /** `tls.auth: on`: verify client chains against `caPem`. */
  verifyClients: boolean
  /** Client CA certificates (PEM, concatenated). */
  caPem?: string
  /** Where the PEMs were read from (config files): the server re-reads them periodically, as KES does. */
  files?: { key: string; cert: string; ca?: string }
}

/** Cache expiries in milliseconds (docs/kes-compatibility.md, "Cache expiries"); 0 disables that expiry. */
export interface CacheConfig {
  anyMs: number
  unusedMs: number
  offlineMs: number
}

/** Keys whose current version is replaced once it is `everyMs` old (docs/key-rotation.md). */
export interface RotationRule {
  /** A key name, or a prefix with a trailing `*` (a KES listing pattern). */
  pattern: string
  everyMs: number
}

/** Where keys live. `instance` is for embedding and tests. */
export type KeystoreConfig =
  | { kind: 'memory' }
  | { kind: 'fs'; path: string }
  | { kind: 'vault'; config: VaultConfig }
  | { kind: 'etcd'; config: EtcdConfig }
  | { kind: 'instance'; store: KeyStore }

/** The whole server configuration. Frozen once validated. */
export interface ServerConfig {
  /** `host:port` to listen on. */
  address: string
  /** The admin identity; any value that is not 64 hex characters disables the admin. */
  admin: string
  tls: TlsConfig
  api: Readonly<Record<string, RouteOverride>>
  policies: Readonly<Record<string, PolicyDefinition>>
  cache: CacheConfig
  /** `auditFile`: `log.audit` was a path (it contains '/'): a hash-chained audit file instead of stdout. */
  log: { error: LogLevel; audit: LogLevel; auditFile?: string }
  /**
   * `key_deletion.wait` (Keyhold extension): when > 0, DELETE schedules the key's deletion that
   * long ahead and `restore` can undo it until then. Absent or 0: KES's immediate deletion.
   */
  keyDeletion?: { waitMs: number }
  /** Keys created at start-up (an existing key is fine). */
  keys: readonly string[]
  /** Automatic rotation (`keys:` entries with `rotate:`); absent or empty: none. */
  rotation?: readonly RotationRule[]
  keystore: KeystoreConfig
  /** The file this config came from; `reload()` and SIGHUP re-read it. */
  configFile?: string
  /** The separate policy file (`policy_file:`), watched for changes. */
  policyFile?: string
}

/**
 * Cache defaults of `kes server`, with KES's `unused` default bug fixed
 * (docs/kes-compatibility.md, "Cache expiries").
 */
export const DEFAULT_CACHE: CacheConfig = { anyMs: 5 * 60_000, unusedMs: 30_000, offlineMs: 0 }

/** Bounds of `key_deletion.wait` when on: shorter is no safety net, longer keeps dead keys for ever. */
export const KEY_DELETION_WAIT_BOUNDS = { minMs: 60_000, maxMs: 365 * 24 * 3_600_000 }

/** The default listen address, as KES. */
export const DEFAULT_ADDRESS = '0.0.0.0:7373'
