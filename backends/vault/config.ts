/**
 * The typed, validated configuration of the Vault keystore (`keystore.vault` in the server config).
 * `src/kms/config/vault.ts` builds it from YAML; tests build it directly.
 *
 * @module
 */

/** AppRole login: `PUT /v1/auth/<engine>/login` with role_id and secret_id. */
export interface VaultAppRoleConfig {
  engine: string
  /** Login-only namespace: `undefined` = the keystore namespace, `''` = root (YAML `/`). */
  namespace?: string
  id: string
  secret: string
}

/** Kubernetes login: `PUT /v1/auth/<engine>/login` with role and jwt. */
export interface VaultKubernetesConfig {
  engine: string
  /** Login-only namespace: `undefined` = the keystore namespace, `''` = root (YAML `/`). */
  namespace?: string
  role: string
  /** A JWT literal, or (when it contains a `/`) a file path re-read at every login. */
  jwt: string
}

/** Optional Transit wrapping of stored values. */
export interface VaultTransitConfig {
  engine: string
  key: string
}

/** Client TLS settings: file paths; `ca` may be a file or a directory of PEM files. */
export interface VaultTlsConfig {
  key?: string
  cert?: string
  ca?: string
}

/** VaultConfig is the complete configuration of one Vault keystore. */
export interface VaultConfig {
  /** Base URL, e.g. `https://vault.example.net:8200` (no trailing slash). */
  endpoint: string
  /** KV mount path (default `kv`). */
  engine: string
  version: 'v1' | 'v2'
  /** `X-Vault-Namespace` for KV, transit and renew-self; `''` sends none. */
  namespace: string
  /** Path prefix inside the mount; `''` for none. */
  prefix: string
  transit?: VaultTransitConfig
  /** Exactly one of approle and kubernetes is set. */
  approle?: VaultAppRoleConfig
  kubernetes?: VaultKubernetesConfig
  tls: VaultTlsConfig
  /** Health poll interval (KES `status.ping`, default 15 s). */
  pingMs: number
  /** Per-attempt request timeout (Keyhold extension `timeout`, default 15 s). */
  timeoutMs: number
  /** Retries after the first attempt on network errors, 5xx (not 501), 412 and 429 (default 2). */
  retries: number
  /** Base back-off between attempts; each wait is 1.0–1.5 × this (default 1 s, as the Go client). */
  retryDelayMs: number
}

/** KES's defaults (kesconf) plus Keyhold's request-timing defaults. */
export const VAULT_DEFAULTS = {
  engine: 'kv',
  version: 'v1',
  transitEngine: 'transit',
  approleEngine: 'approle',
  kubernetesEngine: 'kubernetes',
  pingMs: 15_000,
  timeoutMs: 15_000,
  retries: 2,
  retryDelayMs: 1_000,
} as const
