/**
 * Routes and how they are mounted: the steps of KES `Route.ServeHTTP` as a middleware chain.
 * The chain of every route is
 *
 *   wrappers (metrics → audit, added by the operations layer) → method, deadline, auth → handler
 *
 * and wrappers are plain `(req, res, next)` middlewares (http-types.ts), so adding one is a
 * one-line change in server.ts.
 * Per-request facts for the audit log (identity, decision, policy, message) are left on
 * `res.locals` (see `RequestAuditInfo` in observability/observe.ts).
 *
 * @module
 */
import { onClose, type KesRequest, type KesResponse, type Middleware, type Next } from './http-types.js'
import type { Logger } from 'pino'
import { errMethodNotAllowed, type ApiError } from './errors.js'
import { storeSignal } from '../keystore/store-deadline.js'

/**
 * How a route authenticates: `none` (no identity, /version), `skip` (identity when the client has
 * a certificate, nothing required: `api.<path>.skip_auth`), `identify` (a certificate, no policy:
 * self-describe) or `policy` (certificate + admin or policy).
 */
export type AuthMode = 'none' | 'skip' | 'identify' | 'policy'

/** What a handler receives. */
export interface ApiRequest {
  /** The caller's identity ('' on `auth: 'none'` routes). */
  identity: string
  /** The decoded path with the route prefix cut off (a key name, a pattern, …). */
  resource: string
  /** The decoded request path. */
  path: string
  receivedAt: Date
  /** Aborted at the route timeout or when the client goes away. */
  signal: AbortSignal
  /**
   * For keystore calls: {@link signal}, and aborted {@link STORE_MARGIN_MS} before the route timeout, so that a
   * hanging keystore gets the client the route's 502 rather than a cut connection. One deadline for all the
   * request's calls. Just {@link signal} on routes whose timeout leaves no such margin.
   */
  storeSignal: AbortSignal
  log: Logger
  /** Reads the whole body, at most the route's `maxBody`. Throws BodyTooLargeError beyond that. */
  readBody(): Promise<Buffer>
  raw: KesRequest
}

/** A route handler: replies through `res`, or throws an ApiError (anything else becomes a logged 500). */
export type ApiHandler = (req: ApiRequest, res: KesResponse) => Promise<void>

/** One entry of the route table. */
export interface Route {
  method: 'GET' | 'PUT' | 'DELETE'
  /** From paths.ts; a trailing `/` means the route takes a resource. */
  path: string
  /** Body limit in bytes; 0 means the body is never read. */
  maxBody: number
  /** Deadline for the whole response; 0 means none (the endless log streams). */
  timeoutMs: number
  auth: AuthMode
  /** Counted in the kes_http_* metrics (KES: key, policy and identity routes). */
  metrics: boolean
  handler: ApiHandler
}

/** How long before a route's timeout its keystore work is given up (see {@link ApiRequest.storeSignal}). */
export const STORE_MARGIN_MS = 3_000

/** Authenticates a request for a route; resolves with the identity or throws an ApiError. */
export type Authenticate = (req: KesRequest, res: KesResponse, route: Route) => string

/** BodyTooLargeError: the request body exceeds the route's limit. */
class BodyTooLargeError extends Error {
  constructor(limit: number) {
    super(`request body exceeds ${limit} bytes`)
    this.name = 'BodyTooLargeError'
  }
}

/** What {@link mountRoute} needs from the server. */
export interface ChainOptions {
  authenticate: Authenticate
  log: Logger
  /** Outermost middlewares for this route (metrics, audit), in order. */
  wrappers: Middleware[]
}

/**
 * mountRoute returns the middleware chain of one route. Errors are passed to `next(err)`;
 * the server's error middleware turns them into KES error replies.
 */
export function mountRoute(route: Route, opts: ChainOptions): Middleware[] {
  const handle = (req: KesRequest, res: KesResponse, next: Next): void => {
    // KES accepts POST wherever a route says PUT (old clients use POST).
    if (req.method !== route.method && !(route.method === 'PUT' && req.method === 'POST')) {
      next(withHeaders(errMethodNotAllowed(req.method, route.method), { Accept: route.method }))
      return
    }
    const api = new RouteRequest(req, res, route, opts.log)
    try {
      api.identity = opts.authenticate(req, res, route)
    } catch (err) {
      next(err)
      return
    }
    route.handler(api, res).catch(next)
  }
  return [...opts.wrappers, handle]
}

/**
 * RouteRequest is the {@link ApiRequest} of one call. Its AbortSignal is made only when a handler
 * asks for it (the crypto routes never do): an AbortController per request was a measurable
 * part of the hot path. The deadline is one timer per request, cleared when the response closes.
 */
class RouteRequest implements ApiRequest {
  identity = ''
  readonly resource: string
  readonly path: string
  readonly receivedAt = new Date()
  readonly log: Logger
  readonly raw: KesRequest
  readonly #maxBody: number
  readonly #timeoutMs: number
  readonly #res: KesResponse
  #controller: AbortController | undefined
  #storeSignal: AbortSignal | undefined
  #abortedWith: Error | undefined

  constructor(req: KesRequest, res: KesResponse, route: Route, log: Logger) {
    this.path = res.locals.kesPath as string
    this.resource = this.path.slice(route.path.length)
    this.log = log
    this.raw = req
    this.#res = res
    this.#maxBody = route.maxBody
    this.#timeoutMs = route.timeoutMs
    let timer: NodeJS.Timeout | undefined
    if (route.timeoutMs > 0) {
      // KES sets a write deadline: a response not written in time cuts the connection.
      timer = setTimeout(() => {
        this.#abort(new Error('route timeout'))
        if (!res.writableEnded) res.destroy()
      }, route.timeoutMs)
    }
    onClose(res, () => {
      clearTimeout(timer)
      if (!res.writableFinished) this.#abort(new Error('client went away'))
    })
  }

  /** Aborted at the route timeout or when the client goes away. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController()
      if (this.#abortedWith !== undefined) this.#controller.abort(this.#abortedWith)
    }
    return this.#controller.signal
  }

  /** Made when first asked for: the crypto routes never ask. */
  get storeSignal(): AbortSignal {
    if (this.#storeSignal === undefined) {
      const left = this.#timeoutMs - STORE_MARGIN_MS - (Date.now() - this.receivedAt.getTime())
      this.#storeSignal = this.#timeoutMs > STORE_MARGIN_MS ? storeSignal(this.signal, Math.max(0, left)) : this.signal
    }
    return this.#storeSignal
  }

  readBody(): Promise<Buffer> {
    return readBody(this.raw, this.#maxBody).catch((err: unknown) => {
      if (err instanceof BodyTooLargeError) stopRequestBody(this.#res)
      throw err
    })
  }

  #abort(reason: Error): void {
    this.#abortedWith ??= reason
    this.#controller?.abort(reason)
  }
}

/**
 * stopRequestBody makes the answer to a request whose body was refused part-way stop the client.
 * The rest of the body is never read: on HTTP/1.1 the next request would start somewhere in it and
 * the paused request would hold the connection until the request timeout, so the connection closes
 * after the answer (`Connection: close`, as Go's MaxBytesReader makes KES do); on HTTP/2 the
 * stream is reset with NO_ERROR after the answer (h2-exchange.ts). Throws nothing.
 */
function stopRequestBody(res: KesResponse): void {
  const h2 = res as KesResponse & { stopRequestBody?: () => void }
  if (typeof h2.stopRequestBody === 'function') h2.stopRequestBody()
  else res.shouldKeepAlive = false
}

function withHeaders(err: ApiError, headers: Record<string, string>): ApiError {
  return Object.assign(err, { headers })
}

/** readBody reads at most `limit` bytes. Throws BodyTooLargeError beyond, an Error when the client aborts, or the stream's error. */
function readBody(req: KesRequest, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? '0')
  if (limit <= 0) return Promise.resolve(Buffer.alloc(0))
  if (declared > limit) return Promise.reject(new BodyTooLargeError(limit))
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        req.off('data', onData)
        req.pause()
        reject(new BodyTooLargeError(limit))
        return
      }
      chunks.push(chunk)
    }
    req.on('data', onData)
    req.once('end', () => resolve(Buffer.concat(chunks, size)))
    req.once('error', reject)
    // Not `req.complete`: on HTTP/2 it is also true for a stream the client reset.
    req.once('close', () => {
      if (!req.readableEnded) reject(new Error('request body aborted by the client'))
    })
  })
}
