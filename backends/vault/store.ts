/**
 * The Vault keystore: KES's key operations over KV v1/v2, gated by Vault's health, with the token
 * kept alive by {@link Session}.
 *
 * @module
 */
import {
  KeyExistsError,
  KeyNotFoundError,
  UnreachableError,
  listPage,
  type KeyListPage,
  type KeyStore,
  type KeyStoreState,
} from '../../src/kms/keystore/keystore.js'
import { VaultClient, type VaultResponse } from './client.js'
import { decodeValue, encodeValue, isTransitCiphertext } from './codec.js'
import type { VaultConfig } from './config.js'
import { VaultNetworkError } from './errors.js'
import { HealthMonitor, type HealthState } from './health.js'
import * as kv from './kv.js'
import { stderrLog, type VaultLog } from './log.js'
import { Session, describe } from './session.js'
import * as transit from './transit.js'

/** Options of {@link VaultKeyStore.connect}. */
export interface VaultConnectOptions {
  /** Receives warnings (403s, failed renewals, state changes); default: JSON lines on stderr. */
  log?: VaultLog
  signal?: AbortSignal
}

const STATE_TEXT: Record<Exclude<HealthState, 'active'>, string> = {
  sealed: 'vault: key store is sealed',
  standby: 'vault: key store is a standby node',
  uninitialized: 'vault: key store is not initialized',
  unreachable: 'vault: key store is not reachable',
}

/** VaultKeyStore stores each key as one Vault secret, exactly where and how KES does. */
export class VaultKeyStore implements KeyStore {
  readonly #client: VaultClient
  readonly #session: Session
  readonly #health: HealthMonitor
  #closed = false
  /** Per-name queue of creates: KV v1 has no CAS, so this server at least never races itself. */
  readonly #creating = new Map<string, Promise<void>>()

  private constructor(
    private readonly cfg: VaultConfig,
    private readonly log: VaultLog,
  ) {
    this.#client = new VaultClient(cfg.endpoint, cfg.tls, cfg)
    this.#health = new HealthMonitor(this.#client, () => this.#session.token, cfg.pingMs, (from, to) =>
      log(to === 'active' ? 'info' : 'warn', `vault: health changed from ${from} to ${to}`, { endpoint: cfg.endpoint }),
    )
    this.#session = new Session(this.#client, cfg, () => this.#health.state === 'sealed', log)
  }

  /**
   * connect logs in, runs the first health check and starts the background loops.
   * Throws the login error (VaultHttpError, VaultNetworkError or Error) when Vault refuses or
   * cannot be reached; nothing keeps running then.
   */
  static async connect(cfg: VaultConfig, opts: VaultConnectOptions = {}): Promise<VaultKeyStore> {
    const store = new VaultKeyStore(cfg, opts.log ?? stderrLog)
    try {
      await store.#session.start(opts.signal)
      await store.#health.start()
    } catch (err) {
      await store.close()
      throw err
    }
    return store
  }

  /** status probes sys/health now. Throws UnreachableError when Vault is sealed, standby, uninitialised or unreachable. */
  async status(signal: AbortSignal): Promise<KeyStoreState> {
    this.#checkOpen()
    // KES reports a status probe that times out as unreachable.
    const report = await raceSignal(this.#health.check(), signal, () => new UnreachableError('vault: status check aborted'))
    if (report.state !== 'active') throw new UnreachableError(STATE_TEXT[report.state])
    return { latencyMs: report.latencyMs }
  }

  /**
   * create stores `name` iff absent. Creates of one name are serialised inside this process; across
   * servers only KV v2's `cas: 0` is race-free (KV v1: last writer wins, as in KES).
   * Throws KeyExistsError, UnreachableError or Error.
   */
  async create(name: string, value: Uint8Array, signal: AbortSignal): Promise<void> {
    const prev = this.#creating.get(name)
    let release!: () => void
    const mine = new Promise<void>((r) => (release = r))
    const tail = (prev ?? Promise.resolve()).then(() => mine)
    this.#creating.set(name, tail)
    try {
      if (prev) await raceSignal(prev, signal, () => abortError(signal))
      await this.#create(name, value, signal)
    } finally {
      release()
      if (this.#creating.get(name) === tail) this.#creating.delete(name)
    }
  }

  async #create(name: string, value: Uint8Array, signal: AbortSignal): Promise<void> {
    const probe = await this.#call(kv.readRequest(this.cfg, name, false), signal)
    if (kv.parseRead(this.cfg, name, probe).found) throw new KeyExistsError(name)
    let stored = encodeValue(value)
    if (this.cfg.transit) stored = transit.parseEncrypt(await this.#call(transit.encryptRequest(this.cfg.transit, stored), signal))
    const res = await this.#call(kv.writeRequest(this.cfg, name, stored), signal)
    if (kv.isCasRace(res)) {
      // The write may have been ours: applied, but its answer lost and the request retried. The
      // stored value holds fresh key material, so finding exactly our value means we won.
      const now = kv.parseRead(this.cfg, name, await this.#call(kv.readRequest(this.cfg, name, false), signal))
      if (now.found && now.value === stored) return
      throw new KeyExistsError(name)
    }
    if (res.status !== 200 && res.status !== 204) throw new Error(`vault: creating '${name}': HTTP ${res.status}`)
  }

  /** get returns the stored bytes. Throws KeyNotFoundError, UnreachableError or Error. */
  async get(name: string, signal: AbortSignal): Promise<Uint8Array> {
    const read = kv.parseRead(this.cfg, name, await this.#call(kv.readRequest(this.cfg, name, true), signal))
    if (!read.found) throw new KeyNotFoundError(name)
    let stored = read.value
    if (isTransitCiphertext(stored)) {
      if (!this.cfg.transit) throw new Error(`vault: reading '${name}': key is encrypted with vault transit key`)
      stored = transit.parseDecrypt(await this.#call(transit.decryptRequest(this.cfg.transit, stored), signal))
    }
    return decodeValue(stored)
  }

  /**
   * delete removes `name`. Vault answers 204 whether or not it existed, so a read comes first to
   * honour the KeyStore contract. Throws KeyNotFoundError, UnreachableError or Error.
   */
  async delete(name: string, signal: AbortSignal): Promise<void> {
    const probe = await this.#call(kv.readRequest(this.cfg, name, false), signal)
    if (probe.status === 404 && isCleanMiss(this.cfg, name, probe)) throw new KeyNotFoundError(name)
    if (probe.status !== 404 && (probe.status < 200 || probe.status > 299)) {
      throw new Error(`vault: deleting '${name}': HTTP ${probe.status}`)
    }
    // A 404 with data (a version someone soft-deleted) still has metadata: delete removes it.
    const res = await this.#call(kv.deleteRequest(this.cfg, name), signal)
    if (res.status !== 204 && res.status !== 200) throw new Error(`vault: deleting '${name}': HTTP ${res.status}`)
  }

  /** list returns one page of names under `prefix`, paged client-side. Throws UnreachableError or Error. */
  async list(prefix: string, limit: number, signal: AbortSignal): Promise<KeyListPage> {
    let res = await this.#call(kv.listRequest(this.cfg, 'GET'), signal)
    // A proxy or old Vault that refuses GET ?list=true may still take the LIST verb.
    if (res.status === 405) res = await this.#call(kv.listRequest(this.cfg, 'LIST'), signal)
    return listPage(kv.parseList(res), prefix, limit)
  }

  /** close stops the health and renewal loops and closes pooled connections. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#health.stop()
    this.#session.stop()
    this.#client.close()
  }

  /** A label for logs: the endpoint and layout, never credentials. */
  toString(): string {
    return `Hashicorp Vault: ${this.cfg.endpoint}`
  }

  /**
   * Sends one request with the token and namespace. Fails fast while health says Vault is not
   * active; a 403 triggers one re-login and retry (the token may have expired), a second 403 is
   * logged as a permission problem; 503 and network errors are UnreachableError.
   */
  async #call(req: kv.KvRequest, signal: AbortSignal): Promise<VaultResponse> {
    this.#checkOpen()
    const state = this.#health.state
    if (state !== 'active') throw new UnreachableError(STATE_TEXT[state])
    const used = this.#session.token
    let res = await this.#send(req, signal)
    if (res.status === 403) {
      try {
        // The login is shared and bounded only by the client's timeout and retries: this caller
        // stops waiting for it at its own deadline.
        await raceSignal(this.#session.reloginAfter403(used), signal, () => abortError(signal))
      } catch (err) {
        if (signal.aborted) throw err
        if (err instanceof VaultNetworkError) throw new UnreachableError(err.message, { cause: err })
        this.log('warn', 'vault: re-login after 403 failed', { error: describe(err) })
      }
      if (this.#session.token !== used) res = await this.#send(req, signal)
    }
    if (res.status === 403) {
      this.log('error', 'vault: permission denied: check the Vault policy', { method: req.method, path: req.path })
      throw new Error(`vault: permission denied on ${req.method} ${req.path}`)
    }
    if (res.status === 503) {
      void this.#health.check() // Vault may be sealed: let the gate close without waiting for the next ping
      throw new UnreachableError(`vault: ${req.method} ${req.path}: HTTP 503`)
    }
    if (res.status >= 500 || res.status === 429) throw new Error(`vault: ${req.method} ${req.path}: HTTP ${res.status}`)
    return res
  }

  async #send(req: kv.KvRequest, signal: AbortSignal): Promise<VaultResponse> {
    try {
      return await this.#client.request({ ...req, token: this.#session.token, namespace: this.cfg.namespace, signal })
    } catch (err) {
      if (err instanceof VaultNetworkError) {
        void this.#health.check()
        throw new UnreachableError(err.message, { cause: err })
      }
      throw err
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new Error('vault: keystore is closed')
  }
}

/** Whether a 404 read answer means "no such secret" (not a soft-deleted one). */
function isCleanMiss(cfg: VaultConfig, name: string, res: VaultResponse): boolean {
  try {
    return !kv.parseRead(cfg, name, res).found
  } catch {
    return false
  }
}

/** Settles with `p`, or rejects with `aborted()` as soon as `signal` aborts. */
function raceSignal<T>(p: Promise<T>, signal: AbortSignal, aborted: () => Error): Promise<T> {
  if (signal.aborted) return Promise.reject(aborted())
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(aborted())
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('vault: request aborted')
}
