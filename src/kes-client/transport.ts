/**
 * One HTTPS exchange with a KES server, with failover across endpoints: a network error, a
 * time-out or a 5xx answer other than 501 rests that endpoint and the next one is tried, each
 * endpoint at most once per request (kms-go `kes/retry.go`).
 *
 * @module
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { request, type Agent } from 'node:https'
import type { Endpoint, EndpointPool } from './endpoints.js'
import { KesConnectionError, parseErrorBody } from './errors.js'

/** A request to send: `path` is already URL-encoded. */
export interface KesRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  path: string
  body?: Buffer
  accept?: string
  signal?: AbortSignal
  /**
   * The largest answer body buffered, in bytes ({@link SMALL_RESPONSE_BYTES} when absent); a larger one fails
   * the attempt. An error answer of a stream ({@link Transport.open}) is bounded the same way.
   */
  maxResponseBytes?: number
}

/** A buffered answer. */
export interface KesResponse {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
  /** The endpoint (`https://host:port`) that gave this answer. */
  endpoint: string
}

/**
 * The default bound of a buffered answer: a key operation, a status or a describe answers well under 1 KiB. Bound
 * per call rather than once for all, since every caller buffering up to the largest answer (metrics) let a broken
 * or hostile KMS make each of N concurrent data-key requests hold that much memory.
 */
export const SMALL_RESPONSE_BYTES = 64 << 10

/** The bound of the answers that grow with the server's contents: metrics, listings, policies. */
export const LARGE_RESPONSE_BYTES = 32 << 20

class AttemptTimeout extends Error {}

/**
 * A request failed on a kept-alive socket before any answer: the server had closed the idle
 * connection as we reused it. Not the endpoint's fault, so it is retried on a fresh socket.
 */
class StaleSocketError extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause })
  }
}

/** Retries of one endpoint after stale keep-alive sockets (kms-go retries network errors twice). */
const STALE_SOCKET_RETRIES = 2

/** Transport sends requests through one keep-alive agent (TLS sessions are reused) to a pool of endpoints. */
export class Transport {
  constructor(
    private readonly agent: Agent,
    private readonly pool: EndpointPool,
    private readonly timeoutMs: number,
  ) {}

  /**
   * send performs the request and buffers the answer, whatever its status.
   * Throws KesConnectionError when no endpoint answered, or the signal's reason when it aborted.
   */
  async send(req: KesRequest): Promise<KesResponse> {
    const answer = await this.#withFailover(req, true)
    if (answer.kind !== 'buffered') throw new Error('unreachable: streamed answer to a buffered request')
    return answer.response
  }

  /**
   * open performs the request and hands over the response stream once a 2xx status arrived; the
   * time-out covers only the wait for the headers, and aborting `req.signal` later ends the stream.
   * Throws KesError for an error answer, KesConnectionError when no endpoint answered, or the
   * signal's reason when it aborted.
   */
  async open(req: KesRequest): Promise<IncomingMessage> {
    const answer = await this.#withFailover(req, false)
    if (answer.kind === 'stream') return answer.stream
    const { status, headers, body } = answer.response
    throw parseErrorBody(status, headers['content-type'], body)
  }

  async #withFailover(req: KesRequest, buffer: boolean): Promise<Answer> {
    let lastAnswer: Answer | undefined
    let lastError: unknown
    for (const endpoint of this.pool.attemptOrder()) {
      req.signal?.throwIfAborted()
      let answer: Answer
      try {
        answer = await this.#attemptFresh(endpoint, req, buffer)
      } catch (err) {
        if (req.signal?.aborted === true) throw req.signal.reason
        lastError = err
        this.pool.markDown(endpoint)
        continue
      }
      const status = answer.kind === 'stream' ? 200 : answer.response.status
      if (status >= 500 && status !== 501) {
        this.pool.markDown(endpoint)
        lastAnswer = answer
        continue
      }
      this.pool.markUp(endpoint)
      return answer
    }
    if (lastAnswer !== undefined) return lastAnswer
    const reason = lastError instanceof Error ? lastError.message : String(lastError)
    const tried = this.pool.endpoints.map((e) => e.url).join(', ')
    throw new KesConnectionError(`cannot reach ${tried}: ${reason}`, { cause: lastError })
  }

  async #attemptFresh(endpoint: Endpoint, req: KesRequest, buffer: boolean): Promise<Answer> {
    for (let retry = 0; ; retry++) {
      try {
        return await this.#attempt(endpoint, req, buffer)
      } catch (err) {
        if (!(err instanceof StaleSocketError) || retry >= STALE_SOCKET_RETRIES || req.signal?.aborted === true) throw err
      }
    }
  }

  #attempt(endpoint: Endpoint, req: KesRequest, buffer: boolean): Promise<Answer> {
    const controller = new AbortController()
    const onAbort = (): void => controller.abort(req.signal?.reason)
    req.signal?.addEventListener('abort', onAbort, { once: true })
    const unlink = (): void => req.signal?.removeEventListener('abort', onAbort)
    const timer = setTimeout(
      () => controller.abort(new AttemptTimeout(`${endpoint.url}: no answer within ${this.timeoutMs} ms`)),
      this.timeoutMs,
    )
    const body = req.body ?? Buffer.alloc(0)
    const headers: Record<string, string> = { accept: req.accept ?? 'application/json', 'content-length': String(body.length) }
    if (body.length > 0) headers['content-type'] = 'application/json'
    return new Promise<Answer>((resolve, reject) => {
      let answered = false
      const fail = (err: unknown): void => {
        clearTimeout(timer)
        unlink()
        reject(controller.signal.aborted ? controller.signal.reason : err)
      }
      const outgoing = request(
        { host: endpoint.host, port: endpoint.port, method: req.method, path: req.path, headers, agent: this.agent, signal: controller.signal },
        (res) => {
          answered = true
          const status = res.statusCode ?? 0
          if (!buffer && status >= 200 && status < 300) {
            // The stream lives on: only the caller's signal may end it now.
            clearTimeout(timer)
            res.once('close', unlink)
            resolve({ kind: 'stream', stream: res })
            return
          }
          // A time-out or abort while the body arrives destroys the socket and so fails readBody.
          readBody(res, req.maxResponseBytes ?? SMALL_RESPONSE_BYTES).then((data) => {
            clearTimeout(timer)
            unlink()
            resolve({ kind: 'buffered', response: { status, headers: res.headers, body: data, endpoint: endpoint.url } })
          }, fail)
        },
      )
      outgoing.on('error', (err) => fail(outgoing.reusedSocket && !answered && !controller.signal.aborted ? new StaleSocketError(err) : err))
      outgoing.end(body)
    })
  }
}

type Answer = { kind: 'buffered'; response: KesResponse } | { kind: 'stream'; stream: IncomingMessage }

/** readBody buffers a response body. Throws when it exceeds `max` bytes or the connection breaks. */
function readBody(res: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    res.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > max) {
        res.destroy(new Error(`response larger than ${max} bytes`))
        return
      }
      chunks.push(chunk)
    })
    res.on('end', () => resolve(Buffer.concat(chunks)))
    res.on('error', reject)
    res.on('aborted', () => reject(new Error('connection closed before the response ended')))
    // Announced too large: refused before a byte is read.
    if (Number(res.headers['content-length']) > max) res.destroy(new Error(`response larger than ${max} bytes`))
  })
}
