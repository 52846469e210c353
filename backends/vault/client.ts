/**
 * The Vault HTTP client: Vault's request headers, JSON bodies, the Go client's retry policy, one
 * redirect (standby → active), and a keep-alive agent so connections are reused.
 *
 * @module
 */
import http from 'node:http'
import https from 'node:https'
import type { VaultConfig } from './config.js'
import { VaultNetworkError } from './errors.js'
import { sendOnce, type RawResponse } from './http.js'
import { loadTlsMaterial } from '../tls-files.js'

/** One request to Vault. */
export interface VaultRequest {
  method: 'GET' | 'PUT' | 'DELETE' | 'LIST'
  /** Path under the endpoint, starting with `/v1/`, already escaped. */
  path: string
  query?: Record<string, string>
  body?: unknown
  /** `X-Vault-Namespace`; omitted when empty (KES never sends an empty namespace header). */
  namespace?: string
  /** `X-Vault-Token`; omitted when empty. */
  token?: string
  signal?: AbortSignal
}

/** A Vault answer: the status and the parsed JSON body (`undefined` when empty or not JSON). */
export interface VaultResponse {
  status: number
  body: unknown
}

/** The client's timing knobs. */
export type ClientTiming = Pick<VaultConfig, 'timeoutMs' | 'retries' | 'retryDelayMs'>

/** VaultClient sends requests to one Vault endpoint. */
export class VaultClient {
  readonly #base: URL
  readonly #agent: http.Agent
  readonly #timing: ClientTiming

  /** Creates a client for `endpoint`. Throws when the URL is invalid or a TLS file is unreadable. */
  constructor(endpoint: string, tls: VaultConfig['tls'], timing: ClientTiming) {
    this.#base = new URL(endpoint)
    this.#timing = timing
    // Keep-alive reuses TCP/TLS connections between requests; idle sockets are closed by close().
    this.#agent =
      this.#base.protocol === 'https:'
        ? new https.Agent({ keepAlive: true, maxSockets: 64, ...loadTlsMaterial(tls, 'vault') })
        : new http.Agent({ keepAlive: true, maxSockets: 64 })
  }

  /**
   * request sends `req`, retrying like the Go client: up to `retries` more attempts on network
   * errors, 412, 429 (honouring Retry-After) and 5xx except 501. Resolves with any final status.
   * Throws VaultNetworkError when no attempt got an answer, or the signal's reason on abort.
   */
  async request(req: VaultRequest): Promise<VaultResponse> {
    const body = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body))
    const headers: Record<string, string> = { 'X-Vault-Request': 'true' }
    if (req.token) headers['X-Vault-Token'] = req.token
    if (req.namespace) headers['X-Vault-Namespace'] = req.namespace
    if (body) headers['Content-Type'] = 'application/json'
    let url = this.#url(req)
    let redirected = false
    for (let attempt = 0; ; attempt++) {
      let raw: RawResponse
      try {
        raw = await sendOnce({ method: req.method, url, headers, body, agent: this.#agent, timeoutMs: this.#timing.timeoutMs, signal: req.signal })
      } catch (err) {
        if (req.signal?.aborted) throw err
        if (attempt >= this.#timing.retries) throw new VaultNetworkError(req.method, req.path, err)
        await this.#backoff(undefined, req.signal)
        continue
      }
      const next = redirectTarget(raw, url)
      if (next && !redirected) {
        redirected = true
        url = next
        attempt--
        continue
      }
      if (isRetryable(raw.status) && attempt < this.#timing.retries) {
        await this.#backoff(raw.headers['retry-after'], req.signal)
        continue
      }
      return { status: raw.status, body: parseJson(raw.body) }
    }
  }

  /** close releases pooled connections. Idempotent. */
  close(): void {
    this.#agent.destroy()
  }

  #url(req: VaultRequest): URL {
    const url = new URL(this.#base.pathname.replace(/\/+$/, '') + req.path, this.#base)
    for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v)
    return url
  }

  async #backoff(retryAfter: string | string[] | undefined, signal?: AbortSignal): Promise<void> {
    const seconds = Number(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter)
    const base = this.#timing.retryDelayMs
    // A Retry-After is honoured up to one request timeout, so a request's total time stays bounded.
    const ms = Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds * 1000, this.#timing.timeoutMs) : base * (1 + Math.random() / 2)
    await sleep(ms, signal)
  }
}

function isRetryable(status: number): boolean {
  return status === 412 || status === 429 || (status >= 500 && status !== 501)
}

/** A 301/302/307 to the same scheme (never https → http), as the Go client follows once. */
function redirectTarget(raw: RawResponse, from: URL): URL | undefined {
  if (![301, 302, 307].includes(raw.status) || !raw.headers.location) return undefined
  const to = new URL(raw.headers.location, from)
  if (from.protocol === 'https:' && to.protocol !== 'https:') return undefined
  return to
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined
  try {
    return JSON.parse(body.toString('utf8')) as unknown
  } catch {
    return undefined
  }
}

/**
 * sleep waits `ms`, or rejects with the signal's reason when it aborts first. A background wait
 * (`unref`) does not keep the process alive.
 */
export function sleep(ms: number, signal?: AbortSignal, unref = false): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'))
      return
    }
    const onAbort = () => {
      clearTimeout(t)
      reject(signal!.reason instanceof Error ? signal!.reason : new Error('aborted'))
    }
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    if (unref) t.unref()
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
