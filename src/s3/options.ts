/**
 * Options of {@link createS3Server}: where data lives, how it is served, and the extension hooks.
 *
 * @module
 */
import type { SecureContextOptions } from 'node:tls'
import type {
  Authorizer, CredentialProvider, ExtraRoute, ObjectCrypto, SubresourceHandler,
} from './extensions.js'
import type { LingerLimits } from './api/linger.js'
import type { Kms } from './kms/kms.js'
import type { MessageLog } from '../lib/logger.js'

/** S3ServerOptions configures one keyhold-s3 server. */
export interface S3ServerOptions {
  /** Directory for object files and the SQLite metadata database (created if missing). */
  dataDir: string
  /** Listen address; default 127.0.0.1, port 0 (ephemeral). */
  host?: string
  port?: number
  /**
   * TLS: a MinIO-style certs dir (public.crt + private.key, SNI subfolders, CAs/), or explicit PEMs.
   * Neither → plain HTTP.
   */
  certsDir?: string
  /** The passphrase of encrypted private keys in the certs dir (MINIO_CERT_PASSWD in the CLI); a secret. */
  certPassword?: string
  tls?: Pick<SecureContextOptions, 'cert' | 'key'>
  /** The root credentials (MINIO_ROOT_USER / MINIO_ROOT_PASSWORD); used by the default credential provider. */
  rootUser: string
  rootPassword: string
  /** Region to verify signatures with; '' or undefined accepts whatever region the client signed with. */
  region?: string
  /** Domain for virtual-host style requests (`bucket.DOMAIN`); path-style only when unset. */
  domain?: string
  /** Maximum clock skew allowed on signed requests, in ms; default 15 minutes (as S3). */
  maxClockSkewMs?: number
  /** Hooks (see extensions.ts). Credentials default to root only; the authorizer to root-only. */
  credentials?: CredentialProvider
  authorizer?: Authorizer
  crypto?: ObjectCrypto
  extraRoutes?: ExtraRoute[]
  /** Bucket subresource handlers by query name, e.g. { encryption: ..., policy: ... }. */
  subresources?: Record<string, SubresourceHandler>
  /**
   * Connection timeouts, in ms: a TLS handshake must finish within `handshakeMs` (default 10 s, as Keyhold's;
   * Node's own 120 s let a client hold a connection two minutes without saying anything); the request headers
   * must arrive within `headersMs` (default 60 s); a request in progress may be silent for `idleMs` (default
   * 120 s) before it is answered RequestTimeout or cut; the body of a request refused early is drained within
   * `linger` (see http/linger.ts).
   */
  timeouts?: { handshakeMs?: number; headersMs?: number; idleMs?: number; linger?: Partial<LingerLimits> }
  /** The KMS connection, for the readiness check and the metrics (encryption itself goes through `crypto`). */
  kms?: Kms
  /**
   * How long a graceful stop ({@link S3Server.close}) lets requests in flight finish before cutting them, in ms
   * (MINIO_SHUTDOWN_TIMEOUT in the CLI). Default 0: cut at once.
   */
  shutdownGraceMs?: number
  /** MINIO_PROMETHEUS_AUTH_TYPE=public: serve /minio/v2/metrics/* without a bearer token. */
  publicMetrics?: boolean
  /** The access log: called with one JSON line per request (see ops/access-log.ts); none when undefined. */
  accessLog?: (line: string) => void
  /**
   * Time between lifecycle expiry passes, in ms (default 10 minutes; 0 turns expiry off). Rules count in days;
   * a short interval only makes expiry happen sooner after it falls due.
   */
  lifecycleIntervalMs?: number
  /**
   * Multipart uploads initiated longer ago than this (ms) are aborted by the expiry passes (MinIO's
   * `api.stale_uploads_expiry`; default 24 h, 0 never).
   */
  staleUploadsMs?: number
  /**
   * The origins whose pages may read the server's answers (server-wide CORS, MINIO_API_CORS_ALLOW_ORIGIN in the
   * CLI; see api/cors.ts): exact origins or `*` patterns such as `https://*.example.com`, anonymous reads included.
   * Default: every origin, for signed requests only.
   */
  corsAllowOrigins?: readonly string[]
  /** Log sink for operational messages; never receives secrets. Default: stderr. */
  log?: MessageLog
}
