/**
 * The KMS listener: HTTP/2 and HTTP/1.1 on one TLS port, chosen per connection by ALPN.
 *
 * MinIO's KES client (kms-go) forces HTTP/2 and keeps at most two idle connections per host
 * (docs/kes-compatibility.md, "MinIO's client transport"): against an HTTP/1.1-only server most
 * of its concurrent calls pay a new TCP connection and a full TLS handshake. Over HTTP/2 they share one connection.
 *
 * Both protocols run the same request listener (on HTTP/2 with the lean request and response of
 * api/h2-exchange.ts, not Node's compat objects) and get the same
 * limits: the body limits and deadlines of the routes are protocol-neutral (route.ts); this file
 * gives HTTP/1.1 what `node:https` gave it by default, and HTTP/2 the equivalents, listed in
 * {@link LISTENER_LIMITS}.
 *
 * @module
 */
import { createSecureServer, type Http2SecureServer, type Http2ServerRequest, type Http2ServerResponse, type IncomingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream, type SecureServerOptions } from 'node:http2'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { TLSSocket } from 'node:tls'
import { bindSessionSocket, markTlsSocket } from './api/connection.js'
import { serveStream } from './api/h2-exchange.js'

/** The limits of the listener, the same on HTTP/1.1 and HTTP/2 where both have the concept. */
export const LISTENER_LIMITS = Object.freeze({
  /** An idle connection (HTTP/1.1 keep-alive; HTTP/2 with no open stream) is closed after this. */
  idleMs: 5_000,
  /** The TLS handshake must complete within this (a bare TCP connection holds a socket too). */
  handshakeTimeoutMs: 10_000,
  /**
   * A request head must arrive whole within this, counted from the connection or the previous
   * response (HTTP/1.1; an HTTP/2 head arrives whole or the idle limit applies). Node enforces its
   * own headersTimeout only on node:http servers, not on HTTP/2's HTTP/1.1 fallback, so this does.
   */
  headersTimeoutMs: 10_000,
  /** The whole request must arrive within this (HTTP/1.1; HTTP/2 streams are bounded by the route deadlines). */
  requestTimeoutMs: 300_000,
  /** Request header bytes (HTTP/1.1: Node's default, `--max-http-header-size`; HTTP/2: SETTINGS_MAX_HEADER_LIST_SIZE). */
  maxHeaderBytes: 16 * 1024,
  /** Requests in flight on one connection (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS; HTTP/1.1 has one). */
  maxConcurrentStreams: 128,
  /** Memory nghttp2 may hold for one HTTP/2 connection, in MB, before new streams are refused. */
  maxSessionMemoryMb: 10,
})

/** The limits, as {@link LISTENER_LIMITS} sets them (tests shorten the timeouts). */
export type ListenerLimits = { -readonly [K in keyof typeof LISTENER_LIMITS]: number }

/** The request listener both protocols call. */
export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void

/** A listener over {@link createKmsListener}: the server and what closing it needs. */
export interface KmsListener {
  server: Http2SecureServer
  /**
   * Closes the connections with nothing in flight: HTTP/1.1 ones between requests are destroyed,
   * HTTP/2 sessions get a GOAWAY (their open streams finish, then they close).
   */
  closeIdleConnections(): void
  /** Destroys every open connection, HTTP/1.1 and HTTP/2 alike (server.close waits for them). */
  closeAllConnections(): void
}

/**
 * createKmsListener creates (does not start) the TLS server serving `app` over HTTP/2 and
 * HTTP/1.1. `gate` runs first on every established TLS connection and may destroy it.
 * Throws what `http2.createSecureServer` throws for unusable TLS options.
 */
export function createKmsListener(
  tls: SecureServerOptions, gate: (socket: TLSSocket) => void, app: RequestListener, limits: Partial<ListenerLimits> = {},
): KmsListener {
  const L: ListenerLimits = { ...LISTENER_LIMITS, ...limits }
  const server = createSecureServer({
    ...tls,
    handshakeTimeout: L.handshakeTimeoutMs,
    // ALPN offers h2, then http/1.1 (Node sets the list from allowHTTP1; clients without ALPN get HTTP/1.1).
    allowHTTP1: true,
    maxSessionMemory: L.maxSessionMemoryMb,
    peerMaxConcurrentStreams: L.maxConcurrentStreams,
    settings: { maxConcurrentStreams: L.maxConcurrentStreams, maxHeaderListSize: L.maxHeaderBytes },
  })
  // The HTTP/1.1 fallback runs node:http's connection handling on this server object, but only
  // `node:http` servers get its defaults: without these, keep-alive connections never time out
  // and requests without Host are accepted.
  Object.assign(server, {
    keepAliveTimeout: L.idleMs,
    headersTimeout: L.headersTimeoutMs,
    requestTimeout: L.requestTimeoutMs,
    maxHeaderSize: L.maxHeaderBytes,
    requireHostHeader: true,
  })
  // HTTP/1.1 requests arrive as node:http's objects through 'request'. Adding a 'request' listener
  // also makes Node add its compat handler to 'stream' (http2 core `setupCompat`); HTTP/2 streams
  // are served by ours instead (api/h2-exchange.ts), without the compat objects' per-request cost.
  server.on('request', app as unknown as (req: Http2ServerRequest, res: Http2ServerResponse) => void)
  // Ours emits 'request' with its pair, so every request listener (the graceful closer's too)
  // sees HTTP/2 requests as before.
  server.removeAllListeners('stream')
  const emitRequest = (req: IncomingMessage, res: ServerResponse) => server.emit('request', req, res)
  server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => serveStream(stream, headers, emitRequest))

  const sockets = new Set<TLSSocket>()
  server.prependListener('secureConnection', (socket: TLSSocket) => {
    markTlsSocket(socket)
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    gate(socket)
    if (!socket.destroyed && socket.alpnProtocol !== 'h2') headDeadlines.arm(socket)
  })
  const sessions = new Set<ServerHttp2Session>()
  server.on('session', (session: ServerHttp2Session) => {
    bindSessionSocket(session)
    closeWhenIdle(session, L.idleMs)
    sessions.add(session)
    session.once('close', () => sessions.delete(session))
  })
  // HTTP/1.1 connections with a request in flight, so that a close can spare them.
  const busy = new Map<TLSSocket, number>()
  const headDeadlines = headDeadline(L.headersTimeoutMs)
  server.prependListener('request', (req: Http2ServerRequest | IncomingMessage, res: Http2ServerResponse | ServerResponse) => {
    if (req.httpVersionMajor >= 2) return
    const socket = req.socket as TLSSocket
    headDeadlines.clear(socket)
    busy.set(socket, (busy.get(socket) ?? 0) + 1)
    res.once('close', () => {
      const left = (busy.get(socket) ?? 1) - 1
      if (left > 0) busy.set(socket, left)
      else {
        busy.delete(socket)
        if (!socket.destroyed) headDeadlines.arm(socket)
      }
    })
  })

  return {
    server,
    closeIdleConnections: () => {
      for (const session of sessions) if (!session.closed) session.close()
      for (const socket of sockets) if (socket.alpnProtocol !== 'h2' && !busy.has(socket)) socket.destroy()
    },
    closeAllConnections: () => {
      for (const socket of sockets) socket.destroy()
    },
  }
}

/**
 * closeWhenIdle closes `session` (GOAWAY, then the socket) once it has had no open stream for
 * `idleMs`, as HTTP/1.1 keep-alive does. Node's own session timeout counts only frames and would
 * cut a quiet but open log stream; this one counts streams.
 */
function closeWhenIdle(session: ServerHttp2Session, idleMs: number): void {
  let open = 0
  let timer: NodeJS.Timeout | undefined
  const arm = () => {
    timer = setTimeout(() => {
      if (open === 0 && !session.closed && !session.destroyed) session.close()
    }, idleMs).unref()
  }
  session.on('stream', (stream) => {
    open++
    clearTimeout(timer)
    stream.once('close', () => {
      if (--open === 0 && !session.closed) arm()
    })
  })
  session.once('close', () => clearTimeout(timer))
  arm()
}

/**
 * headDeadline cuts an HTTP/1.1 connection whose next request head has not arrived whole within
 * `ms`, with a 408 as node:http does: a client that connects and sends nothing, or trickles a
 * header byte at a time (slowloris), must not hold a socket for ever.
 */
function headDeadline(ms: number): { arm(socket: TLSSocket): void; clear(socket: TLSSocket): void } {
  const timers = new WeakMap<TLSSocket, NodeJS.Timeout>()
  const clear = (socket: TLSSocket) => clearTimeout(timers.get(socket))
  const arm = (socket: TLSSocket) => {
    clear(socket)
    const timer = setTimeout(() => {
      if (socket.destroyed) return
      socket.end('HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
      setTimeout(() => socket.destroy(), 1_000).unref()
    }, ms).unref()
    if (!timers.has(socket)) socket.once('close', () => clear(socket))
    timers.set(socket, timer)
  }
  return { arm, clear }
}
