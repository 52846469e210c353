/**
 * SharedKms: keyhold-s3's one connection to its KMS. Encryption at rest and the IAM secret sealing both
 * take it from the server command (cli/keyhold-s3/server-parts.ts), so the process has one KES client and one connection pool to
 * the KMS, and one place that reloads the client certificate.
 *
 * @module
 */
import { kmsFiles, type KmsEnvironment } from '../config/kms-environment.js'
import { loadKmsConfig, type KmsConfig } from './config.js'
import { KesKms } from './kms.js'
import type { MessageLog } from '../../lib/logger.js'

/** Options of {@link SharedKms}. */
export interface SharedKmsOptions {
  /** The certs dir: its `CAs/` is the default CA path. */
  certsDir?: string
  /** Interval of the default key's keep-alive describe (default 10 s, 0 disables). */
  keepAliveMs?: number
  /** The error log: KMS reachability changes are written here (once per outage). */
  log?: MessageLog
}

/**
 * SharedKms connects to the KMS of the checked environment (MINIO_KMS_*, see src/s3/config/kms-environment.ts) on
 * first use and hands every caller the same connection.
 */
export class SharedKms {
  #connecting: Promise<KesKms | undefined> | undefined
  #config: KmsConfig | undefined
  #closed = false

  constructor(
    /** The KMS settings (MINIO_KMS_*); undefined when no KMS is configured. */
    readonly settings: KmsEnvironment | undefined,
    private readonly opts: SharedKmsOptions = {},
  ) {}

  /** The configuration connected with (or last reloaded); undefined before connect or without a KMS. */
  get config(): KmsConfig | undefined {
    return this.#config
  }

  /**
   * connect resolves the shared connection, or undefined when no KMS is configured. The first call
   * connects (MinIO's start-up generate/create); later calls share its outcome. Rejects with
   * KmsConfigError (MinIO's message) when the client certificate or key cannot be read, Error("Failed to connect to KMS: …")
   * when the start-up probe fails, or Error when the connection was closed.
   */
  connect(): Promise<KesKms | undefined> {
    if (this.#closed) return Promise.reject(new Error('kms: the shared KMS connection is closed'))
    this.#connecting ??= this.#open()
    return this.#connecting
  }

  async #open(): Promise<KesKms | undefined> {
    if (this.settings === undefined) return undefined
    const config = loadKmsConfig(this.settings, this.opts.certsDir)
    const kms = await KesKms.connect(config, { keepAliveMs: this.opts.keepAliveMs, log: this.opts.log })
    this.#config = config
    return kms
  }

  /**
   * kmsFiles lists the files the client's credentials come from (MINIO_KMS_KES_CERT_FILE, _KEY_FILE
   * and _CAPATH when set), for watching them. Never throws.
   */
  kmsFiles(): string[] {
    return kmsFiles(this.settings)
  }

  /**
   * reloadCertificates re-reads the client certificate, its key and the CA path (loadKmsConfig checks
   * that the pair belongs together), and switches the connection to them when they changed. Resolves
   * whether it switched (false without a KMS or when nothing changed). Throws KmsConfigError saying why
   * the files are unusable (never their content); the connection then keeps its old certificate.
   */
  async reloadCertificates(): Promise<boolean> {
    const kms = await this.#connecting?.catch(() => undefined)
    const old = this.#config
    if (kms === undefined || old === undefined || this.#closed || this.settings === undefined) return false
    const fresh = loadKmsConfig(this.settings, this.opts.certsDir)
    if (fresh.certPem === old.certPem && fresh.keyPem === old.keyPem && fresh.ca.join('\n') === old.ca.join('\n')) return false
    await kms.useCredentials(fresh)
    this.#config = fresh
    return true
  }

  /** close closes the connection (requests in flight are cut). Idempotent; never throws. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const kms = await this.#connecting?.catch(() => undefined)
    kms?.close()
  }
}
