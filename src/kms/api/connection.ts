/**
 * The TLS connection a request arrived on, on HTTP/1.1 and HTTP/2 alike.
 *
 * On HTTP/1.1 `req.socket` is the TLSSocket. The KMS listener serves HTTP/2 with its own request
 * (h2-exchange.ts), which carries its stream; on Node's compat API `req.socket` is a proxy per
 * stream that forwards to the session's socket, throws once the session is gone and is a new
 * object for every request, so a per-connection cache keyed on it (the identity cache) would
 * miss on every request. The identity must come from the TLS session the client authenticated:
 * the listener marks each TLSSocket it accepts and binds it to its HTTP/2 session here.
 *
 * @module
 */
import type { Http2ServerRequest, Http2Session } from 'node:http2'
import type { IncomingMessage } from 'node:http'
import type { TLSSocket } from 'node:tls'

const SELF = Symbol('keyhold.tlsSocket')
type Marked = TLSSocket & { [SELF]?: TLSSocket }

const sessionSockets = new WeakMap<Http2Session, TLSSocket>()

/** markTlsSocket records `socket` as a TLS connection of ours, before any session wraps it. Throws nothing. */
export function markTlsSocket(socket: TLSSocket): void {
  ;(socket as Marked)[SELF] = socket
}

/**
 * bindSessionSocket remembers the TLSSocket under an HTTP/2 `session`. Must run when the session
 * is created (its socket is bound then). Throws nothing; an unmarked socket binds nothing, and
 * requests on that session then have no TLS connection.
 */
export function bindSessionSocket(session: Http2Session): void {
  // `session.socket` is a proxy reading properties from the real socket: the mark is the socket.
  const socket = Reflect.get(session.socket, SELF) as TLSSocket | undefined
  if (socket !== undefined) sessionSockets.set(session, socket)
}

/** sessionSocketOf returns the TLSSocket bound to `session` by {@link bindSessionSocket}, if any. Throws nothing. */
export function sessionSocketOf(session: Http2Session): TLSSocket | undefined {
  return sessionSockets.get(session)
}

/**
 * tlsSocketOf returns the TLSSocket `req` arrived on, or undefined when it came over plain TCP
 * or its HTTP/2 session is already gone. Throws nothing.
 */
export function tlsSocketOf(req: IncomingMessage): TLSSocket | undefined {
  // Both the compat request and ours (h2-exchange.ts) carry their HTTP/2 stream.
  const stream = (req as unknown as Partial<Http2ServerRequest>).stream
  if (stream !== undefined) {
    const session = stream.session
    return session === undefined ? undefined : sessionSockets.get(session)
  }
  const socket = req.socket as Partial<TLSSocket> | null
  return socket?.encrypted === true ? (socket as TLSSocket) : undefined
}

/** isHttp2 tells whether `req` came over HTTP/2. Throws nothing. */
export function isHttp2(req: IncomingMessage): boolean {
  return req.httpVersionMajor === 2
}
