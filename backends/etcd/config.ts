/**
 * The typed, validated configuration of the etcd keystore (`keystore.etcd` in the server config).
 * `src/kms/config/etcd.ts` builds it from YAML; tests build it directly. See docs/etcd.md.
 *
 * @module
 */

/** Client TLS: file paths. A client certificate for etcd's `--client-cert-auth` needs `cert` and `key`. */
export interface EtcdTlsConfig {
  ca?: string
  cert?: string
  key?: string
}

/** etcd RBAC login (`/v3/auth/authenticate`). */
export interface EtcdAuthConfig {
  username: string
  password: string
}

/** EtcdConfig is the complete configuration of one etcd keystore. */
export interface EtcdConfig {
  /** Client URLs of the members, e.g. `https://etcd-1.example.net:2379` (no trailing slash). */
  endpoints: string[]
  /** Every key is stored at `prefix + name`; the watch and listings cover this range only. */
  prefix: string
  tls: EtcdTlsConfig
  auth?: EtcdAuthConfig
  /** Deadline of one whole call, failover included (default 10 s). */
  timeoutMs: number
  /** Deadline of one attempt on one endpoint (default 2 s): a hung member costs at most this. */
  attemptTimeoutMs: number
}

/** Defaults of the optional settings. */
export const ETCD_DEFAULTS = {
  prefix: 'keyhold/',
  timeoutMs: 10_000,
  attemptTimeoutMs: 2_000,
} as const
