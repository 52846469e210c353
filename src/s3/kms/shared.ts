/**
 * SharedKms: keyhold-s3's one connection to its KMS. The SSE plugin and the IAM secret sealing both
 * take it from the plugin context, so the process has one KES client and one connection pool to
 * the KMS, and one place that reloads the client certificate.
 *
 * @module
 */
import { kmsConfigFromEnv, type KmsConfig } from './config.js'
import { KesKms } from './kms.js'

/** Options of {@link SharedKms}. */
export interface SharedKmsOptions {
  /** The certs dir: its `CAs/` is the default CA path. */
  certsDir?: string
  /** Interval of the default key's keep-alive describe (default 10 s, 0 disables). */
  keepAliveMs?: number
}

/** SharedKms connects to the KMS named by MINIO_KMS_* on first use and hands every caller the same connection. */
export class SharedKms {
  #connecting: Promise<KesKms | undefined> | undefined
  #config: KmsConfig | undefined
  #closed = false

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly opts: SharedKmsOptions = {},
  ) {}

  /** The configuration connected with (or last reloaded); undefined before connect or without a KMS. */
  get config(): KmsConfig | undefined {
    return this.#config
  }

  /**
   * connect resolves the shared connection, or undefined when no KMS is configured. The first call
   * connects (MinIO's start-up generate/create); later calls share its outcome. Rejects with
   * KmsConfigError (MinIO's message) for an incomplete config, Error("Failed to connect to KMS: …")
   * when the start-up probe fails, or Error when the connection was closed.
   */
  connect(): Promise<KesKms | undefined> {
    if (this.#closed) return Promise.reject(new Error('kms: the shared KMS connection is closed'))
    this.#connecting ??= this.#open()
    return this.#connecting
  }

  async #open(): Promise<KesKms | undefined> {
    const config = kmsConfigFromEnv(this.env, this.opts.certsDir)
    if (config === undefined) return undefined
    const kms = await KesKms.connect(config, { keepAliveMs: this.opts.keepAliveMs })
    this.#config = config
    return kms
  }

  /** close closes the connection (requests in flight are cut). Idempotent; never throws. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const kms = await this.#connecting?.catch(() => undefined)
    kms?.close()
  }
}
