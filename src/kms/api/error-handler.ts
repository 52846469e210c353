/**
 * The error middleware: ApiErrors become KES error replies; anything else is logged and answered
 * with a fixed 500, so internal details never reach a client.
 *
 * @module
 */
import type { ErrorMiddleware } from './http-types.js'
import type { Logger } from '../observability/logger.js'
import { errInternal, isApiError } from './errors.js'
import { replyError } from './reply.js'

/** errorHandler returns the terminal error middleware. Throws nothing. */
export function errorHandler(log: Logger): ErrorMiddleware {
  return (err, req, res) => {
    const api = isApiError(err) ? err : errInternal(err)
    const path = (res.locals as { kesPath?: string }).kesPath ?? req.url.split('?', 1)[0]
    if (api.status >= 500) {
      log.error({ err: api.cause ?? api, method: req.method, path, identity: (res.locals as { identity?: string }).identity }, api.message)
    }
    const headers = (api as { headers?: Record<string, string> }).headers
    replyError(res, api.status, api.expose ? api.message : 'internal server error', headers)
  }
}
