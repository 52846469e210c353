/**
 * The KMS's request entry: the middleware chain on Node's own request and response objects.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { runChain } from './dispatch.js'
import { asKes, type ErrorMiddleware, type Middleware } from './http-types.js'

/**
 * entry runs `chain`, then `onError`, on Node's own request and response (http-types.ts). Throws nothing:
 * a failure of the chain goes to `onError`.
 * Routing is ours (dispatch.ts); express's per-request prototype switch and decoration were the
 * largest single cost of a keep-alive request above bare node:https, and nothing here needs them.
 */
export function entry(chain: Middleware[], onError: ErrorMiddleware) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const [r, s] = asKes(req, res)
    runChain(chain, r, s, (err) => {
      if (err !== undefined) onError(err, r, s)
      else if (!s.headersSent) {
        s.statusCode = 404
        s.end()
      }
    })
  }
}
