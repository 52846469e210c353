/**
 * keyhold-s3's environment, read and checked once when `keyhold-s3 server` starts: MinIO's MINIO_* variables and
 * keyhold-s3's own KEYHOLD_S3_*. The result is one deeply frozen object; every other module takes the fields it
 * needs from it, so no module reads `process.env` behind the server's back and a bad value stops start-up
 * before anything is opened, with one line naming the variable (and never a secret's value).
 *
 * @module
 */
import { inspect } from 'node:util'
import { parseDuration } from '../../lib/duration.js'
import { DEFAULT_STALE_UPLOADS_MS } from '../lifecycle/stale-uploads.js'
import { parseCorsAllowOrigin } from '../api/cors.js'
import { readKmsEnvironment, type KmsEnvironment } from './kms-environment.js'

export type { KmsEnvironment } from './kms-environment.js'

/** S3Environment is keyhold-s3's checked environment. Frozen; JSON and `inspect` show secrets as `[redacted]`. */
export interface S3Environment {
  /** MINIO_ROOT_USER, or `minioadmin` in development mode when unset. */
  readonly rootUser: string
  /** MINIO_ROOT_PASSWORD (secret), or `minioadmin` in development mode when unset. */
  readonly rootPassword: string
  /** Development mode: `--dev` or KEYHOLD_S3_DEV=1; default credentials are allowed. */
  readonly dev: boolean
  /** MINIO_DOMAIN: virtual-host style requests; undefined when unset or empty (`--domain` overrides it). */
  readonly domain: string | undefined
  /** MINIO_REGION, else MINIO_SITE_REGION (`--region` overrides it); undefined when neither is set. */
  readonly region: string | undefined
  /** MINIO_CERT_PASSWD (secret): the passphrase of an encrypted `private.key`; undefined when unset or empty. */
  readonly certPassword: string | undefined
  /** KEYHOLD_S3_TRY_IT: false when `off` (the banner leaves its "Try it" commands out). */
  readonly tryIt: boolean
  /** MINIO_SHUTDOWN_TIMEOUT: how long requests in flight may finish on SIGTERM/SIGINT, in ms (default 30 s). */
  readonly shutdownGraceMs: number
  /** MINIO_PROMETHEUS_AUTH_TYPE=public: the metrics need no bearer token (anything else: they do). */
  readonly publicMetrics: boolean
  /** KEYHOLD_S3_ACCESS_LOG: `stdout` or a file path; undefined when unset, empty or `off`. */
  readonly accessLog: string | undefined
  /** KEYHOLD_S3_CERTS_POLL: how often the certificate files are checked for changes, in ms; 0 = never. */
  readonly certsPollMs: number
  /** MINIO_API_STALE_UPLOADS_EXPIRY: unfinished multipart uploads older than this are aborted, in ms; 0 = never. */
  readonly staleUploadsMs: number
  /**
   * MINIO_API_CORS_ALLOW_ORIGIN: the origins whose pages may read the answers (server-wide CORS), comma-separated,
   * `*` wildcards allowed; undefined when unset or blank: every origin, for signed requests only (api/cors.ts).
   */
  readonly corsAllowOrigins: readonly string[] | undefined
  /** MINIO_KMS_*: the KMS connection; undefined without a KMS. */
  readonly kms: KmsEnvironment | undefined
}

/** Options of {@link readS3Environment}. */
export interface ReadS3EnvironmentOptions {
  /** `--dev` was given: development mode even without KEYHOLD_S3_DEV=1. */
  dev?: boolean
}

export const DEV_USER = 'minioadmin'
export const DEV_PASSWORD = 'minioadmin'
const WEAK = new Set(['minioadmin', 'password', '12345678', 'changeme'])

/** MinIO's default shutdown timeout. */
const DEFAULT_SHUTDOWN_GRACE_MS = 30_000
/** The poll interval when KEYHOLD_S3_CERTS_POLL is unset. */
const DEFAULT_CERTS_POLL_MS = 60_000
/** Node's longest timer (about 24.8 days): a longer one fires after 1 ms, so a huge value would poll non-stop. */
const MAX_TIMER_MS = 2 ** 31 - 1

const SECRET_FIELDS = ['rootPassword', 'certPassword'] as const
const KMS_SECRET_FIELDS = ['apiKey', 'keyPassword'] as const

/**
 * readS3Environment reads and checks keyhold-s3's environment. Throws Error (KmsConfigError for MINIO_KMS_*) with
 * one line naming the variable for a missing, weak or malformed value; a secret's value is never in the message.
 */
export function readS3Environment(env: NodeJS.ProcessEnv, opts: ReadS3EnvironmentOptions = {}): S3Environment {
  const dev = opts.dev === true || env.KEYHOLD_S3_DEV === '1'
  const problem = checkRootCredentials(env.MINIO_ROOT_USER, env.MINIO_ROOT_PASSWORD, dev)
  if (problem !== undefined) throw new Error(problem)
  const accessLog = (env.KEYHOLD_S3_ACCESS_LOG ?? '').trim()
  const kms = readKmsEnvironment(env)
  const result: S3Environment = {
    rootUser: env.MINIO_ROOT_USER || DEV_USER,
    rootPassword: env.MINIO_ROOT_PASSWORD || DEV_PASSWORD,
    dev,
    domain: env.MINIO_DOMAIN || undefined,
    region: env.MINIO_REGION ?? env.MINIO_SITE_REGION,
    certPassword: env.MINIO_CERT_PASSWD || undefined,
    tryIt: env.KEYHOLD_S3_TRY_IT !== 'off',
    shutdownGraceMs: shutdownGraceMs(env.MINIO_SHUTDOWN_TIMEOUT),
    publicMetrics: (env.MINIO_PROMETHEUS_AUTH_TYPE ?? '').toLowerCase() === 'public',
    accessLog: accessLog === '' || accessLog === 'off' ? undefined : accessLog,
    certsPollMs: certsPollMs(env.KEYHOLD_S3_CERTS_POLL),
    staleUploadsMs: staleUploadsMs(env.MINIO_API_STALE_UPLOADS_EXPIRY),
    corsAllowOrigins: parseCorsAllowOrigin(env.MINIO_API_CORS_ALLOW_ORIGIN),
    kms: kms === undefined ? undefined : sealed({ ...kms, endpoints: Object.freeze([...kms.endpoints]) }, KMS_SECRET_FIELDS),
  }
  return sealed(result, SECRET_FIELDS)
}

/** checkRootCredentials validates root credentials; returns an error message, or undefined when acceptable. */
export function checkRootCredentials(user: string | undefined, password: string | undefined, dev: boolean): string | undefined {
  if (dev) return undefined
  if (user === undefined || user === '' || password === undefined || password === '') {
    return 'MINIO_ROOT_USER and MINIO_ROOT_PASSWORD must be set (or use --dev for development defaults)'
  }
  if (user.length < 3) return 'MINIO_ROOT_USER must be at least 3 characters long'
  if (password.length < 8) return 'MINIO_ROOT_PASSWORD must be at least 8 characters long'
  if (WEAK.has(password) || password === user) return 'MINIO_ROOT_PASSWORD is a well-known or trivial value; choose a strong secret'
  return undefined
}

/**
 * shutdownGraceMs reads MINIO_SHUTDOWN_TIMEOUT (as MinIO's hidden `--shutdown-timeout`): a duration such as `30s`,
 * `500ms`, `2m`, or `0`; 30 s when unset or blank. Throws Error for anything else.
 */
function shutdownGraceMs(raw: string | undefined): number {
  const text = (raw ?? '').trim()
  if (text === '') return DEFAULT_SHUTDOWN_GRACE_MS
  const ms = parseDuration(text)
  if (ms === undefined) throw new Error(`invalid MINIO_SHUTDOWN_TIMEOUT ${quoted(text)}: use e.g. 30s, 500ms or 0`)
  return withinTimer('MINIO_SHUTDOWN_TIMEOUT', text, ms)
}

/**
 * certsPollMs reads KEYHOLD_S3_CERTS_POLL: a duration such as `60s`, `500ms` or `5m`, or `0`/`off` for no
 * polling; 60 s when unset or blank. Throws Error for anything else.
 */
function certsPollMs(raw: string | undefined): number {
  const ms = durationOrOff('KEYHOLD_S3_CERTS_POLL', raw, DEFAULT_CERTS_POLL_MS, '60s, 500ms')
  return withinTimer('KEYHOLD_S3_CERTS_POLL', (raw ?? '').trim(), ms)
}

/**
 * staleUploadsMs reads MINIO_API_STALE_UPLOADS_EXPIRY (MinIO's name): a duration such as `24h` or `30m`, or
 * `0`/`off` to keep unfinished uploads for good; 24 h when unset or blank. Throws Error for anything else.
 */
function staleUploadsMs(raw: string | undefined): number {
  return durationOrOff('MINIO_API_STALE_UPLOADS_EXPIRY', raw, DEFAULT_STALE_UPLOADS_MS, '24h, 30m')
}

/**
 * durationOrOff reads a positive duration, or `0`/`off` (0); `fallback` when unset or blank. A duration of 0 ms
 * (`0s`) is refused: it would not mean off. Throws Error naming `name` and `examples` for anything else.
 */
function durationOrOff(name: string, raw: string | undefined, fallback: number, examples: string): number {
  const text = (raw ?? '').trim()
  if (text === '') return fallback
  if (text === '0' || text === 'off') return 0
  const ms = parseDuration(text) ?? 0
  if (!(ms > 0)) throw new Error(`invalid ${name} ${quoted(text)}: use e.g. ${examples} or off`)
  return ms
}

function withinTimer(name: string, text: string, ms: number): number {
  if (ms > MAX_TIMER_MS) throw new Error(`invalid ${name} ${quoted(text)}: at most 596h (Node's longest timer)`)
  return ms
}

/**
 * quoted shows a bad value in a message: single-quoted, cut at 64 characters, anything but printable ASCII as
 * `?`, so the message stays one readable line whatever the variable holds.
 */
function quoted(text: string): string {
  const cut = text.length > 64 ? `${text.slice(0, 64)}...` : text
  return `'${cut.replace(/[^\x20-\x7e]/g, '?')}'`
}

/**
 * sealed freezes `value` and makes JSON.stringify and util.inspect show its `secrets` as `[redacted]`, so logging
 * the environment by mistake shows no secret. Throws nothing.
 */
function sealed<T extends object>(value: T, secrets: readonly (keyof T & string)[]): T {
  const shown = (): Record<string, unknown> => {
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) }
    for (const name of secrets) if (copy[name] !== undefined) copy[name] = '[redacted]'
    return copy
  }
  Object.defineProperty(value, 'toJSON', { value: shown, enumerable: false })
  Object.defineProperty(value, inspect.custom, {
    value: (_depth: number, options: object) => inspect(shown(), options),
    enumerable: false,
  })
  return Object.freeze(value)
}
