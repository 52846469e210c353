/**
 * The etcd v3 client over the gRPC-gateway (JSON over HTTPS, node:https): endpoint failover, one
 * deadline per call, and etcd RBAC tokens. Every request carries `hasleader` metadata, so a member
 * cut off from its cluster refuses at once instead of waiting out the deadline, and the client
 * moves on to the next member.
 *
 * @module
 */
import http from 'node:http'
import https from 'node:https'
import { AttemptTimeoutError, sendOnce } from '../vault/http.js'
import { sleep } from '../vault/client.js'
import type { EtcdConfig } from './config.js'
import { EtcdError, EtcdNetworkError, GRPC, errorFromAnswer } from './errors.js'
import { loadTlsMaterial } from '../tls-files.js'

/** A decoded gateway answer. */
export type Answer = Record<string, unknown>

/** etcd's require-leader metadata, as grpc-gateway forwards `Grpc-Metadata-*` headers. */
const REQUIRE_LEADER = { 'Grpc-Metadata-hasleader': 'true' } as const

/** Where and how to open a stream (the watch): one endpoint, its headers, the shared agent. */
export interface StreamTarget {
  url: URL
  headers: Record<string, string>
  agent: http.Agent
}

/** EtcdClient sends unary gateway calls to the first member that answers. */
export class EtcdClient {
  readonly #endpoints: URL[]
  readonly #agent: http.Agent
  readonly #config: EtcdConfig
  #preferred = 0
  #token: Promise<string> | undefined

  /** Creates a client. Throws when an endpoint is not a URL or a TLS file cannot be read. */
  constructor(config: EtcdConfig) {
    this.#config = config
    this.#endpoints = config.endpoints.map((e) => new URL(e))
    const tls = loadTlsMaterial(config.tls, 'etcd')
    // One keep-alive agent for every member: https.Agent keys its pool by host and port.
    this.#agent = this.#endpoints.some((u) => u.protocol === 'https:')
      ? new https.Agent({ keepAlive: true, maxSockets: 32, ...tls })
      : new http.Agent({ keepAlive: true, maxSockets: 32 })
  }

  /** The endpoints, for labels. */
  get endpoints(): readonly URL[] {
    return this.#endpoints
  }

  /**
   * call POSTs `body` to `path` (e.g. `/v3/kv/range`), failing over to the next member on network
   * errors and transient answers (no leader, leader changed, timeouts) until the call's deadline.
   * Throws EtcdError for a definite answer (permission denied, compacted, ...), EtcdNetworkError
   * when no member answered in time, or the signal's reason when it aborts.
   */
  async call(path: string, body: object, signal?: AbortSignal): Promise<Answer> {
    const payload = Buffer.from(JSON.stringify(body))
    const deadline = Date.now() + this.#config.timeoutMs
    const causes: string[] = []
    let reauthenticated = false
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted()
      const remaining = deadline - Date.now()
      if (remaining <= 0) throw new EtcdNetworkError(causes)
      const index = this.#preferred
      const url = this.#endpoints[index]!
      let login: Promise<string> | undefined // the login this attempt used, if any
      try {
        const headers: Record<string, string> = { 'Content-Type': 'application/json', ...REQUIRE_LEADER }
        const token = await this.#authToken(url, Math.min(this.#config.attemptTimeoutMs, remaining), signal)
        if (token !== undefined) headers.Authorization = token
        login = this.#token
        const res = await sendOnce({
          method: 'POST', url: new URL(path, url), headers, body: payload, agent: this.#agent,
          timeoutMs: Math.min(this.#config.attemptTimeoutMs, remaining), signal,
        })
        const answer = parseJson(res.body)
        if (res.status === 200 && answer !== undefined) return answer
        const err = errorFromAnswer(res.status, answer)
        // Tokens expire (`--auth-token-ttl`) or die with a restarted member: log in again, once.
        if (err.grpcCode === GRPC.UNAUTHENTICATED && this.#config.auth && !reauthenticated) {
          reauthenticated = true
          this.#token = undefined
          continue
        }
        if (!err.transient) throw err
        causes.push(`${url.host}: ${err.message}`)
      } catch (err) {
        if (signal?.aborted || err instanceof EtcdError) throw err
        causes.push(`${url.host}: ${err instanceof Error ? err.message : String(err)}`)
        if (err instanceof LoginError) this.#token = undefined
        // etcd holds a request whose token was issued at a raft index it has not reached (the
        // cluster was restored from an older snapshot) until it gets there, instead of refusing
        // it: an unanswered attempt with a token logs in again on the next one.
        if (err instanceof AttemptTimeoutError) this.#forget(login)
      }
      // Fail over; the next caller starts at the member that last answered.
      if (this.#preferred === index) this.#preferred = (index + 1) % this.#endpoints.length
      if (attempt % this.#endpoints.length === 0) {
        // A whole round failed (an election, say): pause before the next round, within the deadline.
        const pause = Math.min(50 * 2 ** (attempt / this.#endpoints.length - 1), 400, Math.max(0, deadline - Date.now()))
        await sleep(pause, signal)
      }
    }
  }

  /**
   * streamTarget is where to open a long-lived stream: the preferred member with fresh headers.
   * `rotate` moves to the next member first (the last stream there failed). Throws like {@link call}
   * when a login is needed and fails.
   */
  async streamTarget(rotate: boolean, signal?: AbortSignal): Promise<StreamTarget> {
    if (rotate) this.#preferred = (this.#preferred + 1) % this.#endpoints.length
    const url = this.#endpoints[this.#preferred]!
    const headers: Record<string, string> = { 'Content-Type': 'application/json', ...REQUIRE_LEADER }
    const token = await this.#authToken(url, this.#config.attemptTimeoutMs, signal)
    if (token !== undefined) headers.Authorization = token
    return { url, headers, agent: this.#agent }
  }

  /** forgetToken drops the login token (the stream was refused with it). */
  forgetToken(): void {
    this.#token = undefined
  }

  /** Drops the login `login`, unless a newer one already replaced it. */
  #forget(login: Promise<string> | undefined): void {
    if (login !== undefined && this.#token === login) this.#token = undefined
  }

  /** close releases pooled connections. Idempotent. */
  close(): void {
    this.#agent.destroy()
  }

  /** The RBAC token, logging in once for every concurrent caller; `undefined` without `auth`. */
  #authToken(url: URL, timeoutMs: number, signal?: AbortSignal): Promise<string | undefined> {
    const auth = this.#config.auth
    if (auth === undefined) return Promise.resolve(undefined)
    if (this.#token === undefined) {
      const login = this.#login(url, auth.username, auth.password, timeoutMs, signal)
      this.#token = login
      login.catch(() => {
        if (this.#token === login) this.#token = undefined
      })
    }
    return this.#token
  }

  async #login(url: URL, name: string, password: string, timeoutMs: number, signal?: AbortSignal): Promise<string> {
    let res
    try {
      res = await sendOnce({
        method: 'POST', url: new URL('/v3/auth/authenticate', url), agent: this.#agent, timeoutMs, signal,
        headers: { 'Content-Type': 'application/json', ...REQUIRE_LEADER },
        body: Buffer.from(JSON.stringify({ name, password })),
      })
    } catch (err) {
      throw new LoginError(`login: ${err instanceof Error ? err.message : String(err)}`)
    }
    const answer = parseJson(res.body)
    if (res.status === 200 && typeof answer?.token === 'string') return answer.token
    const err = errorFromAnswer(res.status, answer)
    if (err.transient) throw new LoginError(`login: ${err.message}`)
    // A wrong password is definite: say so (the message never contains the password).
    throw new EtcdError(err.status, err.grpcCode, `etcd login as '${name}' refused: ${err.message}`)
  }
}

/** A login that failed for a transient reason: fail over like any other attempt. */
class LoginError extends Error {}

function parseJson(body: Buffer): Answer | undefined {
  try {
    const v: unknown = JSON.parse(body.toString('utf8'))
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Answer) : undefined
  } catch {
    return undefined
  }
}
