/**
 * Vault stand-in: Vault's answer shapes (success envelope, error envelope, 204).
 *
 * @module
 */
import { randomUUID } from 'node:crypto'
import type { ServerResponse } from 'node:http'

/** A stand-in answer: status plus JSON body (`undefined` = no body). */
export interface Reply {
  status: number
  body?: unknown
}

/** Vault's success envelope around `data` (and `auth` for logins). */
export function envelope(data: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    request_id: randomUUID(),
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data,
    wrap_info: null,
    warnings: null,
    auth: null,
    ...extra,
  }
}

/** ok answers 200 with an envelope. */
export const ok = (data: unknown, extra?: Record<string, unknown>): Reply => ({ status: 200, body: envelope(data, extra) })
/** noContent answers 204 with no body, as Vault does for writes without response data. */
export const noContent = (): Reply => ({ status: 204 })
/** fail answers Vault's error envelope; `fail(404)` is the empty not-found `{"errors":[]}`. */
export const fail = (status: number, ...errors: string[]): Reply => ({ status, body: { errors } })
/** The 403 body of real Vault for a bad token or a missing capability. */
export const denied = (): Reply => fail(403, 'permission denied')
/** Unknown mount or namespace. */
export const noRoute = (path: string): Reply => fail(404, `no handler for route "${path}". route entry not found.`)

/** send writes a reply with Vault's headers. */
export function send(res: ServerResponse, reply: Reply): void {
  if (reply.body === undefined) {
    res.writeHead(reply.status, { 'Cache-Control': 'no-store' }).end()
    return
  }
  const text = JSON.stringify(reply.body) + '\n'
  res
    .writeHead(reply.status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) })
    .end(text)
}
