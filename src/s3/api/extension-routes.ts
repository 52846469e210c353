/**
 * Requests under an extension's prefix (the admin API, the KMS API, server info): each mounted app whose
 * prefix matches gets the request in turn, and one none of them answers gets MinIO's JSON
 * `XMinioUnknownAPIRequest`, never Express's HTML 404 (MinIO's clients parse the JSON).
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Express, Request, Response } from 'express'

/** An extension's Express app, mounted at `prefix`. */
export interface MountedExtension {
  prefix: string
  app: Express
}

/** matchingExtensions returns the extensions whose prefix covers `url`, in mount order. Throws nothing. */
export function matchingExtensions(extensions: readonly MountedExtension[], url: string): MountedExtension[] {
  return extensions.filter((e) => url === e.prefix || url.startsWith(e.prefix + '/') || url.startsWith(e.prefix + '?'))
}

/** serveExtensions hands the request to `list[0]`, then to the next when an app passes it on. Throws nothing. */
export function serveExtensions(list: readonly MountedExtension[], req: IncomingMessage, res: ServerResponse, at = 0): void {
  const extension = list[at]
  if (extension === undefined) return unknownApi(req, res)
  // Called when no route of the app answered (Express's final handler would send HTML).
  extension.app(req as Request, res as Response, () => serveExtensions(list, req, res, at + 1))
}

function unknownApi(req: IncomingMessage, res: ServerResponse): void {
  const resource = (req.url ?? '/').split('?', 1)[0] ?? '/'
  const body = JSON.stringify({
    Code: 'XMinioUnknownAPIRequest', Message: `Unknown API request at ${resource}`, Resource: resource,
    RequestId: randomBytes(8).toString('hex').toUpperCase(), HostId: '',
  })
  res.statusCode = 400
  res.setHeader('Content-Type', 'application/json')
  res.setHeader('Content-Length', Buffer.byteLength(body))
  res.end(body)
}
