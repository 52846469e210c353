/**
 * The etcd keystore: one etcd key per Keyhold key, `<prefix><name>`, whose value is the encoded
 * key exactly as the fs keystore writes it (so `keyhold migrate` moves keys unchanged). Creates
 * are exclusive transactions, reads are linearizable, and a watch on the prefix tells every
 * server sharing the cluster when a key is deleted or replaced. See docs/etcd.md.
 *
 * @module
 */
import { performance } from 'node:perf_hooks'
import {
  type KeyChange, type KeyListPage, type KeyStore, type KeyStoreState, KeyExistsError, KeyNotFoundError, UnreachableError,
} from '../../src/kms/keystore/keystore.js'
import type { EtcdConfig } from './config.js'
import { EtcdClient, type Answer } from './client.js'
import { EtcdError, EtcdNetworkError } from './errors.js'
import { b64, prefixEnd, unb64 } from './keys.js'
import { PrefixWatcher } from './watch.js'
import { serverText } from '../server-text.js'

const VALID_NAME = /^[0-9A-Za-z_-]+$/
/**
 * Longer names are not listed: no name the server stores is near it (a KES name is at most 80
 * characters, a server's side entries add an 81-character prefix), and a member sending huge names
 * would otherwise fill memory with few of them, under MAX_LISTED.
 */
const MAX_NAME_LENGTH = 512
/** Stored keys are far smaller; a bigger value is not a key (the fs keystore's limit). */
const MAX_VALUE_SIZE = 1 << 20
/** Names fetched per range request of a listing: a listing never holds more than this at once. */
const LIST_BATCH = 512
/**
 * The most names one listing collects (~100 MB of strings at most). A real store this large is
 * listed by prefix; a member that keeps sending new names would otherwise fill memory until the
 * caller's deadline.
 */
const MAX_LISTED = 2_000_000
/**
 * How long a create or delete waits for this server's own watch to report it. etcd notifies all
 * watchers of a revision together, so once ours has it, other servers' watches have it too
 * (give or take a follower's apply), and the client's next request anywhere sees the change.
 */
const SETTLE_MS = 500

/** Options of {@link EtcdKeyStore.connect}. */
export interface EtcdConnectOptions {
  /** Receives watch problems (never key material). Default: none. */
  log?: (message: string) => void
}

/** A subscriber of {@link EtcdKeyStore.watch}. */
interface Listener {
  onChange: (name: string, change: KeyChange) => void
  onReset?: () => void
}

/**
 * EtcdKeyStore stores keys in etcd. Throws KeyExistsError, KeyNotFoundError, UnreachableError (no
 * member answered within the deadline, or none has a leader), or a plain Error with `cause` (an
 * invalid name, permission denied, a wrong password, an oversized value).
 */
export class EtcdKeyStore implements KeyStore {
  readonly #client: EtcdClient
  readonly #config: EtcdConfig
  readonly #prefix: Buffer
  readonly #log: (message: string) => void
  readonly #listeners = new Set<Listener>()
  #watcher: PrefixWatcher | undefined
  #closed = false

  private constructor(config: EtcdConfig, options: EtcdConnectOptions) {
    this.#config = config
    this.#client = new EtcdClient(config)
    this.#prefix = Buffer.from(config.prefix, 'utf8')
    this.#log = options.log ?? (() => {})
  }

  /**
   * connect returns a store after one status probe, so that a wrong endpoint, certificate or
   * password fails at start-up. Throws UnreachableError or the plain Error of {@link status}.
   */
  static async connect(config: EtcdConfig, options: EtcdConnectOptions = {}): Promise<EtcdKeyStore> {
    const store = new EtcdKeyStore(config, options)
    try {
      // status makes two calls, each with its own deadline.
      await store.status(AbortSignal.timeout(2 * config.timeoutMs + 1_000))
    } catch (err) {
      await store.close()
      throw err
    }
    return store
  }

  /**
   * Asks the answering member for its status (it must know a leader and raise no alarm) and makes
   * a linearizable read, which needs a quorum. Throws UnreachableError when either fails.
   */
  async status(signal: AbortSignal): Promise<KeyStoreState> {
    const start = performance.now()
    const member = await this.#call('/v3/maintenance/status', {}, signal, 'read the cluster status')
    const errors = Array.isArray(member.errors) ? member.errors.map(String) : []
    if (!member.leader || member.leader === '0' || errors.length > 0) {
      throw new UnreachableError(`etcd: cluster unhealthy: ${serverText(errors.join('; ')) || 'no leader'}`)
    }
    await this.#call('/v3/kv/range', { key: b64(this.#prefix), range_end: b64(prefixEnd(this.#prefix)), count_only: true }, signal, 'read')
    return { latencyMs: performance.now() - start }
  }

  /** Creates `name` iff no key of that name exists (a transaction on `create_revision == 0`). */
  async create(name: string, value: Uint8Array, signal: AbortSignal): Promise<void> {
    const key = b64(this.#key(name))
    if (value.length > MAX_VALUE_SIZE) throw new Error('etcd: value exceeds 1 MiB')
    const answer = await this.#call('/v3/kv/txn', {
      compare: [{ key, target: 'CREATE', result: 'EQUAL', create_revision: '0' }],
      success: [{ request_put: { key, value: b64(value) } }],
    }, signal, `create key '${name}'`)
    if (answer.succeeded !== true) throw new KeyExistsError(name)
    await this.#settle(answer)
  }

  /**
   * Stores `value` at `name` iff it holds `expected` (a transaction on the value), so a deletion
   * by another server can never be undone by it. Resolves false when `name` holds another value.
   * Throws KeyNotFoundError when absent.
   */
  async replace(name: string, expected: Uint8Array, value: Uint8Array, signal: AbortSignal): Promise<boolean> {
    const key = b64(this.#key(name))
    if (value.length > MAX_VALUE_SIZE) throw new Error('etcd: value exceeds 1 MiB')
    const answer = await this.#call('/v3/kv/txn', {
      compare: [{ key, target: 'VALUE', result: 'EQUAL', value: b64(expected) }],
      success: [{ request_put: { key, value: b64(value) } }],
      failure: [{ request_range: { key, count_only: true } }],
    }, signal, `replace key '${name}'`)
    if (answer.succeeded === true) {
      await this.#settle(answer)
      return true
    }
    const responses = Array.isArray(answer.responses) ? (answer.responses as { response_range?: { count?: string } }[]) : []
    if (Number(responses[0]?.response_range?.count ?? 0) === 0) throw new KeyNotFoundError(name)
    return false
  }

  /** Returns the stored value (a linearizable read). Throws KeyNotFoundError when absent. */
  async get(name: string, signal: AbortSignal): Promise<Uint8Array> {
    const answer = await this.#call('/v3/kv/range', { key: b64(this.#key(name)) }, signal, `read key '${name}'`)
    const kv = Array.isArray(answer.kvs) ? (answer.kvs[0] as { value?: string } | undefined) : undefined
    if (kv === undefined) throw new KeyNotFoundError(name)
    const value = unb64(kv.value)
    if (value.length > MAX_VALUE_SIZE) throw new Error(`etcd: value of key '${name}' exceeds 1 MiB`)
    return new Uint8Array(value)
  }

  /** Deletes `name`. Throws KeyNotFoundError when there was no such key. */
  async delete(name: string, signal: AbortSignal): Promise<void> {
    const answer = await this.#call('/v3/kv/deleterange', { key: b64(this.#key(name)) }, signal, `delete key '${name}'`)
    if (Number(answer.deleted ?? 0) === 0) throw new KeyNotFoundError(name)
    await this.#settle(answer)
  }

  /**
   * Pages through the names under `prefix` in key order, at most {@link LIST_BATCH} per request
   * and all at one revision, so a listing is one consistent snapshot. Keys under the store's
   * prefix that are not valid key names (another tool's) are skipped. Throws like the other calls,
   * and an Error when an answer holds more keys than asked for, a key out of order or outside the
   * range asked for, or when the listing passes {@link MAX_LISTED} names.
   */
  async list(prefix: string, limit: number, signal: AbortSignal): Promise<KeyListPage> {
    const want = limit > 0 ? limit : Infinity
    const endKey = prefixEnd(Buffer.concat([this.#prefix, Buffer.from(prefix, 'utf8')]))
    const end = b64(endKey)
    // etcd's range end "\0" means: every key from `key` on.
    const unbounded = endKey.length === 1 && endKey[0] === 0
    let from = Buffer.concat([this.#prefix, Buffer.from(prefix, 'utf8')])
    let revision: string | undefined
    const names: string[] = []
    // A member must answer what etcd answers: at most `batch` keys, ascending, within [from, end).
    // Then every page moves forward, and only a member inventing new names forever keeps a listing
    // going: MAX_LISTED ends that well before memory does, and the caller's signal ends it in time.
    for (;;) {
      const batch = Math.min(LIST_BATCH, want - names.length + 1)
      const answer = await this.#call('/v3/kv/range', {
        key: b64(from), range_end: end, keys_only: true, limit: String(batch), ...(revision ? { revision } : {}),
      }, signal, 'list keys')
      revision ??= String((answer.header as { revision?: string } | undefined)?.revision ?? '') || undefined
      const kvs = Array.isArray(answer.kvs) ? (answer.kvs as { key?: string }[]) : []
      // etcd never answers more than the limit; a member that does is broken or hostile.
      if (kvs.length > batch) throw new Error(`etcd: cannot list keys: an answer holds ${kvs.length} keys, ${batch} were asked for`)
      let previous: Buffer | undefined
      for (const kv of kvs) {
        const key = unb64(kv.key)
        const inOrder = Buffer.compare(key, from) >= 0 && (unbounded || Buffer.compare(key, endKey) < 0) &&
          (previous === undefined || Buffer.compare(key, previous) > 0)
        if (!inOrder) throw new Error('etcd: cannot list keys: an answer holds a key out of order or outside the range asked for')
        previous = key
        const name = key.subarray(this.#prefix.length).toString('utf8')
        if (name.length <= MAX_NAME_LENGTH && VALID_NAME.test(name)) names.push(name)
      }
      if (names.length > MAX_LISTED) throw new Error(`etcd: cannot list keys: more than ${MAX_LISTED} names`)
      if (names.length > want) return { names: names.slice(0, want), next: names[want]! }
      if (answer.more !== true || kvs.length === 0) return { names, next: '' }
      // After this page's last key: in order and in range, so always past `from`.
      from = Buffer.concat([previous!, Buffer.from([0])])
    }
  }

  /**
   * watch reports, by name, every key put (created, or replaced by {@link replace}) or deleted under
   * the prefix by any server, and calls `onReset` when changes may have been missed: once the
   * stream first runs (what was read before it began may have changed since), and whenever etcd
   * compacted the revision the watch had to resume from. The first subscriber starts the watch.
   * Returns the unsubscribe function.
   */
  watch(onChange: (name: string, change: KeyChange) => void, onReset?: () => void): () => void {
    const listener: Listener = { onChange, ...(onReset ? { onReset } : {}) }
    this.#listeners.add(listener)
    if (this.#watcher === undefined && !this.#closed) {
      this.#watcher = new PrefixWatcher(this.#client, this.#prefix, {
        onChange: (key, deleted) => {
          const name = key.subarray(this.#prefix.length).toString('utf8')
          for (const l of this.#listeners) l.onChange(name, deleted ? 'deleted' : 'created')
        },
        onReset: () => {
          for (const l of this.#listeners) l.onReset?.()
        },
        onProblem: (message) => this.#log(`etcd watch: ${message}`),
      }, this.#config.attemptTimeoutMs)
      this.#watcher.start()
    }
    return () => {
      this.#listeners.delete(listener)
    }
  }

  /** Stops the watch and closes connections. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true
    this.#watcher?.close()
    this.#client.close()
  }

  /** `etcd: <endpoints> prefix '<prefix>'`. */
  toString(): string {
    return `etcd: ${this.#client.endpoints.map((u) => u.origin).join(',')} prefix '${this.#config.prefix}'`
  }

  #key(name: string): Buffer {
    // Defence in depth: the API validates names too, and a '/' would reach into another prefix.
    if (!VALID_NAME.test(name)) throw new Error('keystore: invalid key name')
    return Buffer.concat([this.#prefix, Buffer.from(name, 'utf8')])
  }

  /** Waits (bounded) until this server's watch has reported the write that produced `answer`. */
  async #settle(answer: Answer): Promise<void> {
    const revision = Number((answer.header as { revision?: string } | undefined)?.revision ?? 0)
    if (this.#watcher !== undefined && revision > 0) await this.#watcher.waitFor(revision, SETTLE_MS)
  }

  async #call(path: string, body: object, signal: AbortSignal, what: string): Promise<Answer> {
    if (signal.aborted) throw new Error('keystore: operation aborted', { cause: signal.reason })
    try {
      return await this.#client.call(path, body, signal)
    } catch (err) {
      if (signal.aborted) throw new Error('keystore: operation aborted', { cause: err })
      if (err instanceof EtcdNetworkError || (err instanceof EtcdError && err.transient)) {
        throw new UnreachableError(`etcd: cannot ${what}: ${err.message}`, { cause: err })
      }
      throw new Error(`etcd: cannot ${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
    }
  }
}
