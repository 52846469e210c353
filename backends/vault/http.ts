/**
 * One HTTP exchange with Vault over node:http(s): a bounded attempt with a timeout, a capped body,
 * and cancellation by AbortSignal. Retries and headers live in `client.ts`.
 *
 * @module
 */
import http from 'node:http'
import https from 'node:https'

/** A response read in full. */
export interface RawResponse {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
}

/** Options of {@link sendOnce}. */
export interface SendOptions {
  method: string
  url: URL
  headers: Record<string, string>
  body?: Buffer
  agent: http.Agent
  timeoutMs: number
  signal?: AbortSignal
}

/** AttemptTimeoutError: no whole answer within {@link SendOptions.timeoutMs}. */
export class AttemptTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`timeout after ${timeoutMs} ms`)
    this.name = 'AttemptTimeoutError'
  }
}

/** KES caps Vault answers at 32 MiB; a bigger answer is a broken or hostile server. */
const MAX_BODY = 32 << 20

/**
 * sendOnce performs one request. Throws AttemptTimeoutError on a timeout, and an Error on
 * connection failure, abort or an oversized body; any HTTP status resolves.
 */
export function sendOnce(opts: SendOptions): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(abortReason(opts.signal))
      return
    }
    const mod = opts.url.protocol === 'https:' ? https : http
    const headers: Record<string, string> = { ...opts.headers }
    if (opts.body) headers['Content-Length'] = String(opts.body.length)
    const req = mod.request(opts.url, { method: opts.method, headers, agent: opts.agent })
    let settled = false
    const finish = (err: Error | undefined, res?: RawResponse) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      opts.signal?.removeEventListener('abort', onAbort)
      if (err) {
        req.destroy()
        reject(err)
      } else resolve(res!)
    }
    // The timer bounds the whole exchange (connect, headers and body): a slow Vault never hangs us.
    const timer = setTimeout(() => finish(new AttemptTimeoutError(opts.timeoutMs)), opts.timeoutMs)
    const onAbort = () => finish(abortReason(opts.signal!))
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    req.on('error', (err) => finish(err))
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > MAX_BODY) finish(new Error('response body too large'))
        else chunks.push(chunk)
      })
      res.on('error', (err) => finish(err))
      res.on('close', () => {
        if (!res.complete) finish(new Error('connection closed mid-response'))
      })
      res.on('end', () =>
        finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      )
    })
    req.end(opts.body)
  })
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('request aborted')
}
