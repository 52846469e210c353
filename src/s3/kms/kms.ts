/**
 * keyhold-s3's connection to its KMS (Keyhold or KES), as MinIO's `internal/kms` uses it: data keys
 * generated and decrypted under a canonical context, MinIO's start-up probe, the 10 s keep-alive
 * describe of the default key, per-endpoint status and the generate/decrypt/compare key check.
 *
 * @module
 */
import { timingSafeEqual } from 'node:crypto'
import { isValidName } from '../../kms/api/validate.js'
import { KesClient, answeredBy, isKeyExists, isKeyNotFound, isNotAllowed, type KesClientOptions } from '../../kes-client/index.js'
import type { KmsConfig } from './config.js'
import { KEY_STATUS_CONTEXT, marshalContext, type KmsContext } from './context.js'
import { S3_ERRORS } from '../api/errors.js'
import { MalformedKmsAnswer, dataKeyProblem, generatedKeyProblem } from './data-key-check.js'
import { toKmsS3Error } from './kes-failure.js'
import { KmsMonitor } from './monitor.js'
import { silentMessageLog, type MessageLog } from '../../lib/logger.js'

/** A data key: 32 plaintext bytes (never logged) and the KMS ciphertext that is stored. */
export interface DataKey {
  keyId: string
  plaintext: Buffer
  ciphertext: Buffer
}

/** MinIO's madmin KMSStatus. */
export interface KmsStatus {
  name: string
  'default-key-id': string
  endpoints: Record<string, 'online' | 'offline'>
  state?: Record<string, unknown>
}

/** MinIO's key status answer: only `key-id` when generate, decrypt and compare all succeeded. */
export interface KeyStatus {
  'key-id': string
  'encryption-error'?: string
  'decryption-error'?: string
}

/** The KMS operations the SSE layer and the admin API need (an interface, so tests and callers see one shape). */
export interface Kms {
  readonly defaultKey: string
  /** Reachability and call counters (health, metrics, the error log); absent for stand-ins. */
  readonly monitor?: KmsMonitor
  /**
   * generateKey returns a fresh data key under `keyId` (default key when empty). Throws S3Error: InvalidRequest
   * for an id that is no KES key name (before any KMS call), `kms:*` for KMS failures.
   */
  generateKey(keyId: string, context: KmsContext): Promise<DataKey>
  /** decrypt unwraps a stored data key; the context must be the one used at generation. Throws S3Error (`kms:*`). */
  decrypt(keyId: string, ciphertext: Buffer, context: KmsContext): Promise<Buffer>
  /** createKey creates a master key. Throws S3Error (`kms:KeyAlreadyExists`, ...). */
  createKey(keyId: string): Promise<void>
  /** listKeys lists key names matching a pattern. Throws S3Error. */
  listKeys(pattern: string): Promise<string[]>
  /** status asks every endpoint for its status; never throws. */
  status(): Promise<KmsStatus>
  /** keyStatus runs generate, decrypt and a constant-time compare; errors go into the answer. Never throws. */
  keyStatus(keyId: string): Promise<KeyStatus>
  close(): void
}

/** KesKms implements {@link Kms} over the KES client with failover across endpoints. */
export class KesKms implements Kms {
  readonly defaultKey: string
  readonly monitor: KmsMonitor
  readonly #log: MessageLog
  #timer: NodeJS.Timeout | undefined
  #client: KesClient
  #clientOptions: KesClientOptions
  /** Clients replaced by {@link useCredentials}, closed once their requests had time to finish. */
  readonly #retired = new Map<KesClient, NodeJS.Timeout>()

  private constructor(
    client: KesClient,
    private readonly config: KmsConfig,
    clientOptions: KesClientOptions,
    log?: MessageLog,
  ) {
    this.defaultKey = config.defaultKey
    this.monitor = new KmsMonitor(log)
    this.#log = log ?? silentMessageLog
    this.#client = client
    this.#clientOptions = clientOptions
  }

  /**
   * connect builds the client and runs MinIO's start-up: generate under the default key with
   * context `{}`, create the key only on 404 `key does not exist`; tolerate "exists" and 403.
   * Throws Error("Failed to connect to KMS: …") otherwise.
   */
  static async connect(
    config: KmsConfig,
    opts: { timeoutMs?: number; keepAliveMs?: number; log?: MessageLog } = {},
  ): Promise<KesKms> {
    const clientOptions: KesClientOptions = {
      endpoints: config.endpoints, certPem: config.certPem, keyPem: config.keyPem, apiKey: config.apiKey,
      ca: config.ca, timeoutMs: opts.timeoutMs ?? 10_000,
    }
    const kms = new KesKms(await KesClient.create(clientOptions), config, clientOptions, opts.log)
    try {
      await kms.#client.generateKey(config.defaultKey, marshalContext({}))
    } catch (err) {
      const tolerated = async (): Promise<boolean> => {
        if (isNotAllowed(err)) return true
        if (!isKeyNotFound(err)) return false
        try {
          await kms.#client.createKey(config.defaultKey)
          return true
        } catch (createErr) {
          return isNotAllowed(createErr) || isKeyExists(createErr)
        }
      }
      if (!(await tolerated())) {
        kms.close()
        throw new Error(`Failed to connect to KMS: ${(err as Error).message}`, { cause: err })
      }
    }
    const keepAlive = opts.keepAliveMs ?? 10_000
    if (keepAlive > 0) {
      // Keeps the default key in the KMS cache (MinIO does the same); its outcome tells the monitor whether the
      // KMS is reachable, so an outage is logged even while no request needs the KMS.
      kms.#timer = setInterval(() => kms.#observed(() => kms.#client.describeKey(config.defaultKey)).catch(() => undefined), keepAlive)
      kms.#timer.unref()
    }
    return kms
  }

  /**
   * generateKey: see {@link Kms.generateKey}. An answer with a data key that is not 32 bytes, or a ciphertext that
   * is empty or over 4 KiB, is `kms:KeyGenerationFailed` (logged at warn): nothing is stored that could not be read.
   */
  async generateKey(keyId: string, context: KmsContext): Promise<DataKey> {
    const name = keyId === '' ? this.defaultKey : keyId
    if (!isValidName(name)) throw S3_ERRORS.invalidEncryptionKeyId()
    try {
      const answer = await this.#observed(() => this.#client.generateKey(name, marshalContext(context)))
      const { plaintext, ciphertext } = answer
      this.#refuseMalformed(answer, 'generate', name, generatedKeyProblem(plaintext, ciphertext), plaintext)
      return { keyId: name, plaintext, ciphertext }
    } catch (err) {
      throw toKmsS3Error(err, 'generate')
    }
  }

  /**
   * #refuseMalformed throws MalformedKmsAnswer when `problem` is set, after wiping the data key and logging which
   * endpoint answered what (never the bytes): the KMS did answer, so the monitor still counts it reachable.
   */
  #refuseMalformed(answer: object, op: 'generate' | 'decrypt', name: string, problem: string | undefined, plaintext: Buffer): void {
    if (problem === undefined) return
    plaintext.fill(0)
    const endpoint = answeredBy(answer) ?? this.config.endpoints.join(', ')
    this.#log.warn(`KMS ${endpoint} answered ${op} under key '${name}' with ${problem}: refused`)
    throw new MalformedKmsAnswer(`KMS answered ${op} with ${problem}`)
  }

  /** #observed runs one KES call and tells the monitor its duration and outcome; rethrows its failure. */
  async #observed<T>(call: () => Promise<T>): Promise<T> {
    const started = performance.now()
    try {
      const out = await call()
      this.monitor.observe(started)
      return out
    } catch (err) {
      this.monitor.observe(started, err)
      throw err
    }
  }

  async decrypt(keyId: string, ciphertext: Buffer, context: KmsContext): Promise<Buffer> {
    const name = keyId === '' ? this.defaultKey : keyId
    try {
      const plaintext = await this.#observed(() => this.#client.decrypt(name, ciphertext, marshalContext(context)))
      // A wrong-sized key would fail later as "object tampered", blaming the stored object for the KMS's answer.
      this.#refuseMalformed(plaintext, 'decrypt', name, dataKeyProblem(plaintext), plaintext)
      return plaintext
    } catch (err) {
      throw toKmsS3Error(err, 'decrypt')
    }
  }

  async createKey(keyId: string): Promise<void> {
    try {
      await this.#observed(() => this.#client.createKey(keyId))
    } catch (err) {
      throw toKmsS3Error(err, 'create')
    }
  }

  async listKeys(pattern: string): Promise<string[]> {
    const names: string[] = []
    try {
      for await (const name of this.#client.listKeys(pattern === '' ? '*' : pattern)) {
        names.push(name)
        if (names.length >= 100_000) break
      }
    } catch (err) {
      throw toKmsS3Error(err, 'list')
    }
    return names
  }

  async status(): Promise<KmsStatus> {
    const endpoints: Record<string, 'online' | 'offline'> = {}
    await Promise.all(this.config.endpoints.map(async (endpoint) => {
      const one = await KesClient.create({ ...this.#clientOptions, endpoints: [endpoint], timeoutMs: 5_000 })
      try {
        await one.status()
        endpoints[endpoint] = 'online'
      } catch {
        endpoints[endpoint] = 'offline'
      } finally {
        one.close()
      }
    }))
    return { name: 'MinIO KES', 'default-key-id': this.defaultKey, endpoints }
  }

  async keyStatus(keyId: string): Promise<KeyStatus> {
    return checkKeyStatus(this, keyId === '' ? this.defaultKey : keyId)
  }

  /**
   * useCredentials switches to a new client certificate (or API key) and trusted CAs: new requests
   * use a new client, and the old one is closed once its requests in flight had their time-out to
   * finish. Throws TypeError or InvalidApiKeyError as KesClient.create does; the old client stays.
   */
  async useCredentials(credentials: Pick<KmsConfig, 'certPem' | 'keyPem' | 'apiKey' | 'ca'>): Promise<void> {
    const { certPem, keyPem, apiKey, ca } = credentials
    const options: KesClientOptions = { ...this.#clientOptions, certPem, keyPem, apiKey, ca }
    const fresh = await KesClient.create(options)
    const old = this.#client
    this.#client = fresh
    this.#clientOptions = options
    const timer = setTimeout(() => {
      this.#retired.delete(old)
      old.close()
    }, options.timeoutMs ?? 0)
    timer.unref()
    this.#retired.set(old, timer)
  }

  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    for (const [client, timer] of this.#retired) {
      clearTimeout(timer)
      client.close()
    }
    this.#retired.clear()
    this.#client.close()
  }
}

/** checkKeyStatus is MinIO's KMSKeyStatusHandler logic over any {@link Kms}. Never throws. */
export async function checkKeyStatus(kms: Pick<Kms, 'generateKey' | 'decrypt'>, keyId: string): Promise<KeyStatus> {
  let key: DataKey
  try {
    key = await kms.generateKey(keyId, KEY_STATUS_CONTEXT)
  } catch (err) {
    return { 'key-id': keyId, 'encryption-error': (err as Error).message }
  }
  let plaintext: Buffer
  try {
    plaintext = await kms.decrypt(keyId, key.ciphertext, KEY_STATUS_CONTEXT)
  } catch (err) {
    return { 'key-id': keyId, 'decryption-error': (err as Error).message }
  }
  if (plaintext.length !== key.plaintext.length || !timingSafeEqual(plaintext, key.plaintext)) {
    return { 'key-id': keyId, 'decryption-error': 'The generated and the decrypted data key do not match' }
  }
  return { 'key-id': keyId }
}
