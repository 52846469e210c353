/**
 * KesClient: a client for KES-compatible servers (Keyhold, KES), used by the `keyhold` CLI and by
 * keyhold-s3's KMS connection. mTLS with a certificate or an API key, a keep-alive agent that
 * reuses TLS sessions, per-request time-outs and endpoint failover as kms-go does.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'
import { Agent } from 'node:https'
import { createSecureContext, type SecureContext } from 'node:tls'
import { parseSharedKeystoreHeader, SHARED_KEYSTORE_HEADER } from '../kms/config/shared-keystore.js'
import { apiKeyCertificate } from '../pki/index.js'
import { EndpointPool, parseEndpoint, type PoolClock } from './endpoints.js'
import { KesError, parseErrorBody, serverText } from './errors.js'
import { readNdjson } from './ndjson.js'
import { LARGE_RESPONSE_BYTES, SMALL_RESPONSE_BYTES, Transport, type KesRequest, type KesResponse } from './transport.js'
import type {
  ApiDescription,
  AuditEvent,
  ErrorEvent,
  IdentityInfo,
  KeyInfo,
  RotatedKey,
  KeyStateInfo,
  PolicyExplanation,
  Policy,
  PolicyInfo,
  SelfInfo,
  StatusResponse,
  VersionResponse,
} from './types.js'

/** Connections to one KMS server at most: a busy object store needs a few dozen, never hundreds. */
export const MAX_SOCKETS_PER_SERVER = 64

/** How to reach and authenticate to KES servers. */
export interface KesClientOptions {
  /** `https://host:port` or `host:port` (`http://` is taken as https: KES speaks only TLS). */
  endpoints: string[]
  /** Client certificate and its private key (PEM), or … */
  certPem?: string
  keyPem?: string
  /** Password of an encrypted `keyPem`. */
  keyPassword?: string
  /** … an API key `kes:v1:…`, turned into a self-signed Ed25519 certificate. */
  apiKey?: string
  /** Trusted CAs for the server certificate (PEM); the system's roots when absent. */
  ca?: string | Buffer | Array<string | Buffer>
  /** Skip verification of the server certificate. */
  insecure?: boolean
  /** Per-request time-out in milliseconds (default 15 s), per endpoint tried. */
  timeoutMs?: number
  /** Time and randomness of the failover (tests only). */
  clock?: PoolClock
}

/** Pages a listing follows at most: a server that keeps answering `continue_at` cannot loop us forever. */
const MAX_LIST_PAGES = 100_000

/** The endpoint that answered, per key-operation result (see {@link answeredBy}). */
const ANSWERED_BY = new WeakMap<object, string>()

/**
 * answeredBy names the endpoint (`https://host:port`) whose answer a result of generateKey, encrypt or decrypt
 * came from, so a caller that finds the answer unusable can say which server sent it (with failover, any of
 * them may have). Undefined for any other value. Throws nothing.
 */
export function answeredBy(result: object): string | undefined {
  return ANSWERED_BY.get(result)
}

/** KesClient calls one KES API per method. Every method throws KesError for an error answer and KesConnectionError when no server answered. */
export class KesClient {
  readonly #agent: Agent
  readonly #transport: Transport

  private constructor(agent: Agent, transport: Transport) {
    this.#agent = agent
    this.#transport = transport
  }

  /**
   * create builds a client. Throws TypeError for an invalid endpoint, a certificate without its key
   * (or the reverse), or both a certificate and an API key; InvalidApiKeyError for a bad API key.
   */
  static async create(opts: KesClientOptions): Promise<KesClient> {
    const pool = new EndpointPool(opts.endpoints.map(parseEndpoint), { clock: opts.clock })
    if ((opts.certPem === undefined) !== (opts.keyPem === undefined)) {
      throw new TypeError('a client certificate and its private key must be given together')
    }
    if (opts.apiKey !== undefined && opts.certPem !== undefined) {
      throw new TypeError('an API key and a client certificate are mutually exclusive')
    }
    let cert = opts.certPem
    let key = opts.keyPem
    if (opts.apiKey !== undefined) ({ certPem: cert, keyPem: key } = await apiKeyCertificate(opts.apiKey))
    const tlsOptions = { minVersion: 'TLSv1.2' as const, cert, key, passphrase: opts.keyPassword, ca: opts.ca }
    // One secure context for all connections: otherwise Node parses every CA (e.g. all system roots)
    // again per new connection and hashes them into the pool key per request (~3 ms per KMS call).
    // A key that does not load keeps failing at connect time, as before.
    let secureContext: SecureContext | undefined
    try {
      secureContext = createSecureContext(tlsOptions)
    } catch {
      secureContext = undefined
    }
    const agent = new Agent({
      keepAlive: true,
      // A KMS that stalls must not take a socket per waiting call without end (found by a fault round: 100
      // abandoned GETs of keyhold-s3 held ~150 sockets and 120 MB); past the cap, calls queue for a socket,
      // within their time-out.
      maxSockets: MAX_SOCKETS_PER_SERVER,
      maxCachedSessions: 100,
      ...(secureContext !== undefined ? { secureContext } : tlsOptions),
      rejectUnauthorized: opts.insecure !== true,
    })
    return new KesClient(agent, new Transport(agent, pool, opts.timeoutMs ?? 15_000))
  }

  /** version returns the server's version (GET /version). */
  version(): Promise<VersionResponse> {
    return this.#json({ method: 'GET', path: '/version' })
  }

  /** status returns the server's state (GET /v1/status). */
  status(): Promise<StatusResponse> {
    return this.#json({ method: 'GET', path: '/v1/status' })
  }

  /** apis lists the server's API routes (GET /v1/api). */
  apis(): Promise<ApiDescription[]> {
    return this.#json({ method: 'GET', path: '/v1/api' })
  }

  /** ready resolves when the server and its keystore are ready (GET /v1/ready). */
  async ready(): Promise<void> {
    await this.#empty({ method: 'GET', path: '/v1/ready' })
  }

  /** metrics returns the Prometheus text exposition (GET /v1/metrics). */
  async metrics(): Promise<string> {
    return (await this.#ok({ method: 'GET', path: '/v1/metrics', accept: 'text/plain', maxResponseBytes: LARGE_RESPONSE_BYTES })).body.toString('utf8')
  }

  /** createKey creates a master key; 400 `key already exists` when it exists. */
  async createKey(name: string): Promise<void> {
    await this.#empty({ method: 'POST', path: `/v1/key/create/${seg(name)}` })
  }

  /** importKey stores the given 32-byte key under `name` (cipher `AES256` or `ChaCha20`, default AES256). */
  async importKey(name: string, key: Uint8Array, cipher = 'AES256'): Promise<void> {
    await this.#empty({ method: 'POST', path: `/v1/key/import/${seg(name)}`, body: json({ key: b64(key), cipher }) })
  }

  /** describeKey returns a key's metadata; 404 `key does not exist`. */
  describeKey(name: string): Promise<KeyInfo> {
    return this.#json({ method: 'GET', path: `/v1/key/describe/${seg(name)}` })
  }

  /**
   * rotateKey makes a new version of a key current (Keyhold only: docs/key-rotation.md); 404 `key
   * does not exist`, 409 `key is being rotated concurrently`.
   */
  rotateKey(name: string): Promise<RotatedKey> {
    return this.#json({ method: 'PUT', path: `/v1/key/rotate/${seg(name)}` })
  }

  /**
   * deleteKey removes a key; 404 `key does not exist`. A Keyhold server on a keystore that other
   * servers may share reports how long they may still use the key (`otherServersMaySec`).
   */
  async deleteKey(name: string): Promise<{ otherServersMaySec?: number; deleteAt?: string }> {
    const res = await this.#ok({ method: 'DELETE', path: `/v1/key/delete/${seg(name)}` })
    const bound = parseSharedKeystoreHeader(res.headers[SHARED_KEYSTORE_HEADER.toLowerCase()])
    // A Keyhold server with key_deletion.wait on schedules the deletion instead.
    const deleteAt = res.headers['keyhold-key-delete-at']
    return { ...(bound === undefined ? {} : { otherServersMaySec: bound }), ...(typeof deleteAt === 'string' ? { deleteAt } : {}) }
  }

  /** listKeys yields the names of keys matching `pattern` (`*` = all; a trailing `*` means prefix), in order. */
  listKeys(pattern = '*'): AsyncIterable<string> {
    return this.#list('/v1/key/list/', 'names', 'name', pattern)
  }

  /** generateKey returns a fresh 32-byte data key and its ciphertext under `name`, bound to `context`. */
  async generateKey(name: string, context?: Uint8Array): Promise<{ plaintext: Buffer; ciphertext: Buffer }> {
    const body = context === undefined ? undefined : json({ context: b64(context) })
    const res = await this.#ok({ method: 'POST', path: `/v1/key/generate/${seg(name)}`, body })
    const r = parseJson<{ plaintext: string; ciphertext: string }>(res)
    return answered(res, { plaintext: unb64(r.plaintext), ciphertext: unb64(r.ciphertext) })
  }

  /** encrypt seals `plaintext` under `name`, bound to `context`. */
  async encrypt(name: string, plaintext: Uint8Array, context?: Uint8Array): Promise<Buffer> {
    const body = json({ plaintext: b64(plaintext), ...(context === undefined ? {} : { context: b64(context) }) })
    const res = await this.#ok({ method: 'POST', path: `/v1/key/encrypt/${seg(name)}`, body, maxResponseBytes: sizedLike(body) })
    return answered(res, unb64(parseJson<{ ciphertext: string }>(res).ciphertext))
  }

  /** decrypt opens a ciphertext; 400 `decryption failed: ciphertext is not authentic` for a wrong key or context. */
  async decrypt(name: string, ciphertext: Uint8Array, context?: Uint8Array): Promise<Buffer> {
    const body = json({ ciphertext: b64(ciphertext), ...(context === undefined ? {} : { context: b64(context) }) })
    const res = await this.#ok({ method: 'POST', path: `/v1/key/decrypt/${seg(name)}`, body, maxResponseBytes: sizedLike(body) })
    return answered(res, unb64(parseJson<{ plaintext: string }>(res).plaintext))
  }

  /** hmac returns HMAC-SHA256 of `message` under the key's HMAC key; 409 `key does not support HMAC` for legacy keys. */
  async hmac(name: string, message: Uint8Array): Promise<Buffer> {
    const body = json({ message: b64(message) })
    return unb64((await this.#json<{ hmac: string }>({ method: 'PUT', path: `/v1/key/hmac/${seg(name)}`, body })).hmac)
  }

  /** describePolicy returns a policy's metadata; 404 `policy does not exist`. */
  describePolicy(name: string): Promise<PolicyInfo> {
    return this.#json({ method: 'GET', path: `/v1/policy/describe/${seg(name)}` })
  }

  /** readPolicy returns a policy with its allow and deny rules; 404 `policy does not exist`. */
  readPolicy(name: string): Promise<Policy> {
    return this.#json({ method: 'GET', path: `/v1/policy/read/${seg(name)}`, maxResponseBytes: LARGE_RESPONSE_BYTES })
  }

  /** listPolicies yields the names of policies matching `pattern`. */
  listPolicies(pattern = '*'): AsyncIterable<string> {
    return this.#list('/v1/policy/list/', 'names', 'name', pattern)
  }

  /** describeIdentity returns what the server knows of an identity; 404 `identity does not exist`. */
  describeIdentity(identity: string): Promise<IdentityInfo> {
    return this.#json({ method: 'GET', path: `/v1/identity/describe/${seg(identity)}` })
  }

  /** listIdentities yields the identities matching `pattern`, the admin's included. */
  listIdentities(pattern = '*'): AsyncIterable<string> {
    return this.#list('/v1/identity/list/', 'identities', 'identity', pattern)
  }

  /** describeSelf returns the caller's own identity, policy and rules. */
  describeSelf(): Promise<SelfInfo> {
    return this.#json({ method: 'GET', path: '/v1/identity/self/describe', maxResponseBytes: LARGE_RESPONSE_BYTES })
  }

  /** auditLog yields audit events as they happen, until `signal` aborts (then it ends quietly). */
  auditLog(signal?: AbortSignal): AsyncIterable<AuditEvent> {
    return this.#stream<AuditEvent>('/v1/log/audit', signal)
  }

  /** errorLog yields error-log events as they happen, until `signal` aborts (then it ends quietly). */
  errorLog(signal?: AbortSignal): AsyncIterable<ErrorEvent> {
    return this.#stream<ErrorEvent>('/v1/log/error', signal)
  }

  // --- Keyhold extensions (docs/operations.md): a KES server answers them 404 `404 page not found`. ---

  /** keyState returns a key's state (enabled, disabled, scheduled for deletion); 404 `key does not exist`. */
  keyState(name: string): Promise<KeyStateInfo> {
    return this.#json({ method: 'GET', path: `/v1/key/state/${seg(name)}` })
  }

  /** disableKey refuses new use of a key; decrypt stays allowed unless `decrypt` is false. */
  async disableKey(name: string, opts: { decrypt?: boolean } = {}): Promise<void> {
    await this.#empty({ method: 'PUT', path: `/v1/key/disable/${seg(name)}`, body: json(opts.decrypt === undefined ? {} : { decrypt: opts.decrypt }) })
  }

  /** enableKey makes a disabled key usable again. */
  async enableKey(name: string): Promise<void> {
    await this.#empty({ method: 'PUT', path: `/v1/key/enable/${seg(name)}` })
  }

  /** restoreKey cancels a key's scheduled deletion; 409 `key is not scheduled for deletion`. */
  async restoreKey(name: string): Promise<void> {
    await this.#empty({ method: 'PUT', path: `/v1/key/restore/${seg(name)}` })
  }

  /** explainPolicy tells how the server decides a request of `identity` with `method` on `path`, and why. */
  explainPolicy(identity: string, method: string, path: string): Promise<PolicyExplanation> {
    return this.#json({ method: 'PUT', path: `/v1/policy/explain/${seg(identity)}`, body: json({ method, path }), maxResponseBytes: LARGE_RESPONSE_BYTES })
  }

  /** close releases the client's idle connections; requests in flight are cut. */
  close(): void {
    this.#agent.destroy()
  }

  async *#stream<T>(path: string, signal?: AbortSignal): AsyncGenerator<T> {
    let res: IncomingMessage
    try {
      res = await this.#transport.open({ method: 'GET', path, accept: 'application/x-ndjson', signal })
    } catch (err) {
      if (signal?.aborted === true) return
      throw err
    }
    try {
      for await (const event of readNdjson(res)) yield event as T
    } catch (err) {
      if (signal?.aborted !== true) throw err
    } finally {
      res.destroy()
    }
  }

  async *#list(base: string, field: string, legacyField: string, pattern: string): AsyncGenerator<string> {
    let prefix = pattern
    let last: string | undefined
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const res = await this.#ok({ method: 'GET', path: base + seg(prefix), maxResponseBytes: LARGE_RESPONSE_BYTES })
      if (isNdjson(res)) {
        // Servers before the 2023 API refactor stream one `{"name": …}` object per line.
        for (const line of res.body.toString('utf8').split('\n')) {
          if (line.trim() === '') continue
          const item = JSON.parse(line) as Record<string, unknown>
          if (typeof item.error === 'string') throw new KesError(res.status, serverText(item.error))
          if (typeof item[legacyField] === 'string') yield item[legacyField]
        }
        return
      }
      const answer = parseJson<Record<string, unknown>>(res)
      const names = Array.isArray(answer[field]) ? (answer[field] as unknown[]) : []
      let fresh = 0
      for (const name of names) {
        if (typeof name !== 'string' || (last !== undefined && name <= last)) continue
        last = name
        fresh++
        yield name
      }
      const next = typeof answer.continue_at === 'string' ? answer.continue_at : ''
      // kms-go continues a listing by asking again with `continue_at` as the prefix. A page that brought no new
      // name made no progress: a server answering so forever (found by an attack) would keep us paging for good.
      if (next === '' || next === prefix || fresh === 0) return
      prefix = next
    }
  }

  async #ok(req: KesRequest): Promise<KesResponse> {
    const res = await this.#transport.send(req)
    if (res.status < 200 || res.status > 299) throw parseErrorBody(res.status, res.headers['content-type'], res.body)
    return res
  }

  async #empty(req: KesRequest): Promise<void> {
    await this.#ok(req)
  }

  async #json<T>(req: KesRequest): Promise<T> {
    return parseJson<T>(await this.#ok(req))
  }
}

/**
 * The answer bound of an encrypt or decrypt: its answer holds about as many bytes as its request (a sealed or
 * opened plaintext of up to the server's 1 MB body), so a data key's stays small and a CLI's large one fits.
 */
function sizedLike(body: Buffer): number {
  return SMALL_RESPONSE_BYTES + 2 * body.length
}

function answered<T extends object>(res: KesResponse, result: T): T {
  ANSWERED_BY.set(result, res.endpoint)
  return result
}

function parseJson<T>(res: KesResponse): T {
  try {
    return JSON.parse(res.body.toString('utf8')) as T
  } catch {
    throw new KesError(res.status, 'invalid response: body is not JSON')
  }
}

function isNdjson(res: KesResponse): boolean {
  return (res.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-ndjson')
}

/** seg encodes one path segment; the server validates names, so the client passes them through. */
function seg(name: string): string {
  return encodeURIComponent(name)
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value))
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}

// Standard base64 with its padding, as Go's encoding/json writes []byte (KES and Keyhold answer so).
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/**
 * unb64 decodes a base64 field of an answer. Node's decoder skips what is not base64, so junk around a valid
 * value would decode to that value; as Go's decoder, this refuses it. Throws KesError (invalid response).
 */
function unb64(s: unknown): Buffer {
  if (typeof s !== 'string') throw new KesError(200, 'invalid response: missing base64 field')
  if (!STRICT_BASE64.test(s)) throw new KesError(200, 'invalid response: a field is not valid base64')
  return Buffer.from(s, 'base64')
}
