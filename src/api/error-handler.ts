/**
 * The error middleware: ApiErrors become KES error replies; anything else is logged and answered
 * with a fixed 500, so internal details never reach a client.
 *
 * @module
 */
import type { ErrorRequestHandler } from 'express'
import type { Logger } from '../observability/logger.js'
import { errInternal, isApiError } from './errors.js'
import { replyError } from './reply.js'

/** errorHandler returns the terminal error middleware. Throws nothing. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const api = isApiError(err) ? err : errInternal(err)
    const path = (res.locals as { kesPath?: string }).kesPath ?? req.path
    if (api.status >= 500) {
      log.error({ err: api.cause ?? api, method: req.method, path, identity: (res.locals as { identity?: string }).identity }, api.message)
    }
    const headers = (api as { headers?: Record<string, string> }).headers
    replyError(res, api.status, api.expose ? api.message : 'internal server error', headers)
  }
}
