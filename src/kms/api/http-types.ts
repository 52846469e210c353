/**
 * The request and response objects of the KMS pipeline: Node's own `IncomingMessage` and
 * `ServerResponse` plus the two fields the pipeline shares (`originalUrl`, `locals`). There is no
 * express decoration on this path: switching prototypes on every request costs more than the
 * whole of routing and authorisation.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

/** A request: Node's, plus `originalUrl` (what express wrappers read; `url` is never rewritten here). */
export interface KesRequest extends IncomingMessage {
  /** Always set on a server's request. */
  method: string
  url: string
  originalUrl: string
}

/** A response: Node's, with per-request facts left for the wrappers (see `RequestAuditInfo`). */
export interface KesResponse extends ServerResponse {
  locals: Record<string, unknown>
}

/** Continues the chain; an error argument (other than `'route'`) goes to the error handler. */
export type Next = (err?: unknown) => void

/**
 * A middleware. Declared through a method so parameters are checked bivariantly: express
 * middlewares that use only Node's API and `res.locals` (as the observability wrappers and tests
 * do) can be passed as they are. One that calls express helpers (`res.json`) cannot work here.
 */
export type Middleware = { bivariance(req: KesRequest, res: KesResponse, next: Next): unknown }['bivariance']

/** The terminal error handler. */
export type ErrorMiddleware = (err: unknown, req: KesRequest, res: KesResponse) => void

/** asKes turns Node's request and response into the pipeline's, in place. Throws nothing. */
export function asKes(req: IncomingMessage, res: ServerResponse): [KesRequest, KesResponse] {
  const r = req as KesRequest
  const s = res as KesResponse
  r.url ??= '/'
  r.originalUrl = r.url
  s.locals = Object.create(null) as Record<string, unknown>
  return [r, s]
}

const CLOSE_CALLBACKS = Symbol('keyhold.onClose')
type WithCallbacks = ServerResponse & { [CLOSE_CALLBACKS]?: Array<() => void> }

/**
 * onClose runs `fn` when the response closes (finished or aborted), in registration order, like
 * `res.once('close', fn)`, but all callbacks of a response share one listener: the audit and
 * metrics wrappers and the route deadline each need one on every request. Throws nothing itself.
 */
export function onClose(res: ServerResponse, fn: () => void): void {
  const r = res as WithCallbacks
  const list = r[CLOSE_CALLBACKS]
  if (list !== undefined) {
    list.push(fn)
    return
  }
  const fns = [fn]
  r[CLOSE_CALLBACKS] = fns
  res.once('close', () => {
    for (const f of fns) f()
  })
}
