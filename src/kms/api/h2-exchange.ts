/**
 * HTTP/2 requests served from the raw `stream` event, without Node's compatibility objects.
 *
 * Node's compat API wraps every HTTP/2 stream in an `Http2ServerRequest` (a Readable) and an
 * `Http2ServerResponse` (a Stream), with five stream listeners, a socket proxy and a header
 * object per response. Under MinIO's transport (kms-go forces HTTP/2) that generic machinery
 * was most of a request's CPU (docs/performance.md, "Where a worker's CPU goes"). The pipeline
 * needs far less of a request and a response; {@link H2Request} and {@link H2Response} are that
 * subset over the stream itself, and {@link serveStream} is the compat server's `onServerStream`
 * (CONNECT refused, `Expect` handled) with them.
 *
 * What the pipeline may use (src/kms: dispatch, route, auth, observability, handlers, log-hub):
 * request `method`, `url`, `originalUrl`, `headers`, `httpVersionMajor`, `stream`, `socket`,
 * `on`/`once`/`off` of `data`/`end`/`error`/`close`, `pause`, `resume`, `readableEnded`;
 * response `statusCode`, `locals`, `setHeader`/`getHeader`/`removeHeader`, `writeHead` (flat
 * array or object), `write`, `end`, `flushHeaders`, `destroy`, `headersSent`, `writableEnded`,
 * `writableFinished`, `writableLength`, `on`/`once` of `close` and `finish`. Anything else of
 * `IncomingMessage`/`ServerResponse` is absent: test/kms/server/http2.test.ts answers every
 * route on both protocols and compares the answers.
 *
 * @module
 */
import { constants, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerHttp2Stream } from 'node:http2'
import { validateHeaderName, validateHeaderValue, type IncomingMessage, type ServerResponse } from 'node:http'
import type { TLSSocket } from 'node:tls'
import { sessionSocketOf } from './connection.js'

type Listener = Parameters<ServerHttp2Stream['on']>[1]

/** The request side of one HTTP/2 stream, as the pipeline reads it. */
class H2Request {
  readonly method: string
  url: string
  originalUrl: string
  readonly headers: IncomingHttpHeaders
  readonly httpVersionMajor = 2
  readonly httpVersionMinor = 0
  readonly httpVersion = '2.0'
  readonly stream: ServerHttp2Stream

  constructor(stream: ServerHttp2Stream, headers: IncomingHttpHeaders) {
    this.stream = stream
    this.headers = headers
    this.method = headers[':method'] ?? ''
    this.url = headers[':path'] ?? '/'
    this.originalUrl = this.url
  }

  /** The TLS connection (not a per-request proxy as on the compat API); undefined once the session is gone. */
  get socket(): TLSSocket | undefined {
    const session = this.stream.session
    return session === undefined ? undefined : sessionSocketOf(session)
  }

  get readableEnded(): boolean {
    return this.stream.readableEnded
  }

  on(event: string, fn: Listener): this {
    this.stream.on(event, fn)
    return this
  }

  once(event: string, fn: Listener): this {
    this.stream.once(event, fn)
    return this
  }

  off(event: string, fn: Listener): this {
    this.stream.off(event, fn)
    return this
  }

  removeListener(event: string, fn: Listener): this {
    return this.off(event, fn)
  }

  pause(): this {
    this.stream.pause()
    return this
  }

  resume(): this {
    this.stream.resume()
    return this
  }
}

/**
 * The response side of one HTTP/2 stream. Headers go out with the first write, `end` or
 * `flushHeaders` (a bodiless `end` sends one HEADERS frame with END_STREAM); `writeHead` only
 * records them, as node:http's does. `finish` and `close` both fire when the stream closes,
 * finished or reset, as on the compat API.
 */
class H2Response {
  statusCode = 200
  locals: Record<string, unknown> = Object.create(null) as Record<string, unknown>
  writableEnded = false
  readonly stream: ServerHttp2Stream
  #headers: OutgoingHttpHeaders = Object.create(null) as OutgoingHttpHeaders
  #headCommitted = false
  #stopBody = false

  constructor(stream: ServerHttp2Stream) {
    this.stream = stream
  }

  /** True once `writeHead` ran or anything was sent. */
  get headersSent(): boolean {
    return this.#headCommitted || this.stream.headersSent
  }

  get writableFinished(): boolean {
    return this.stream.writableFinished
  }

  get writableLength(): number {
    return this.stream.writableLength
  }

  /** Throws ERR_INVALID_HTTP_TOKEN / ERR_INVALID_CHAR for a bad name or value, as node:http does. */
  setHeader(name: string, value: string | number | readonly string[]): this {
    validateHeaderName(name)
    validateHeaderValue(name, value as string)
    this.#headers[name.toLowerCase()] = value as string
    return this
  }

  getHeader(name: string): string | number | string[] | undefined {
    return this.#headers[name.toLowerCase()]
  }

  removeHeader(name: string): void {
    delete this.#headers[name.toLowerCase()]
  }

  /** Records the status and `headers` (a flat name/value array or an object). Throws once the head was sent. */
  writeHead(status: number, headers?: readonly string[] | Record<string, string>): this {
    if (this.headersSent) throw new Error('Cannot write headers after they are sent to the client')
    this.statusCode = status
    if (Array.isArray(headers)) {
      for (let i = 0; i < headers.length; i += 2) this.#headers[(headers[i] as string).toLowerCase()] = headers[i + 1] as string
    } else if (headers !== undefined) {
      for (const [k, v] of Object.entries(headers)) this.#headers[k.toLowerCase()] = v
    }
    this.#headCommitted = true
    return this
  }

  flushHeaders(): void {
    this.#respond(false)
  }

  write(chunk: string | Buffer): boolean {
    if (this.writableEnded || this.stream.destroyed) return false
    this.#respond(false)
    return this.stream.writableEnded ? false : this.stream.write(chunk)
  }

  end(chunk?: string | Buffer): this {
    if (this.writableEnded) return this
    this.writableEnded = true
    const empty = chunk === undefined || chunk.length === 0
    if (!this.#respond(empty)) return this
    // respond() ends the stream itself for HEAD, 204 and 304.
    if (!this.stream.writableEnded) {
      if (empty) this.stream.end()
      else this.stream.end(chunk)
    }
    return this
  }

  destroy(err?: Error): void {
    this.stream.destroy(err)
  }

  /**
   * The rest of the request body will not be read (the route refused it): once the response is
   * complete the stream is reset with NO_ERROR, which tells the client to stop sending (RFC 9113,
   * 8.1). Otherwise the stream would stay open, its flow-control window spent, until the session
   * closes. Call before the response starts.
   */
  stopRequestBody(): void {
    this.#stopBody = true
  }

  on(event: string, fn: Listener): this {
    this.stream.on(event === 'finish' ? 'close' : event, fn)
    return this
  }

  once(event: string, fn: Listener): this {
    this.stream.once(event === 'finish' ? 'close' : event, fn)
    return this
  }

  off(event: string, fn: Listener): this {
    this.stream.off(event === 'finish' ? 'close' : event, fn)
    return this
  }

  removeListener(event: string, fn: Listener): this {
    return this.off(event, fn)
  }

  /** Sends the head unless it went out already; false when the stream is gone (nothing can be sent). */
  #respond(endStream: boolean): boolean {
    const stream = this.stream
    if (stream.destroyed || stream.closed) return false
    if (stream.headersSent) return true
    this.#headCommitted = true
    this.#headers[':status'] = this.statusCode
    // As the compat API: the stream ends with an empty trailers frame. Ending it with the last
    // DATA frame instead lost the response when the session was closing (a graceful close).
    if (!endStream) stream.once('wantTrailers', this.#stopBody ? sendNoTrailersAndStop : sendNoTrailers)
    stream.respond(this.#headers, { endStream, waitForTrailers: !endStream })
    if (endStream && this.#stopBody) setImmediate(stopStream, stream)
    return true
  }
}

function sendNoTrailers(this: ServerHttp2Stream): void {
  this.sendTrailers({})
}

function sendNoTrailersAndStop(this: ServerHttp2Stream): void {
  this.sendTrailers({})
  // sendTrailers submits the trailers from an immediate: the reset must follow them, not overtake them.
  setImmediate(stopStream, this)
}

/** stopStream resets `stream` with NO_ERROR once its response went out: the client stops sending. */
function stopStream(stream: ServerHttp2Stream): void {
  if (!stream.closed && !stream.destroyed) stream.close(constants.NGHTTP2_NO_ERROR)
}

function ignoreStreamError(): void {
  // See serveStream: 'close' follows, and that is what the pipeline acts on.
}

/** The pipeline's request listener, called with the HTTP/2 pair in place of node:http's. */
export type PairListener = (req: IncomingMessage, res: ServerResponse) => void

/**
 * serveStream answers one HTTP/2 stream through `app`, as Node's compat server does: CONNECT gets
 * 405, `Expect: 100-continue` a 100 first, any other expectation 417. Throws nothing.
 */
export function serveStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, app: PairListener): void {
  // A stream the peer resets with an error code, breaks (a body longer than its Content-Length) or
  // that outgrows the session's memory emits 'error' before 'close'. With no listener that error
  // is thrown, and one client would end the process: Node's compat server swallows it too. The
  // pipeline learns of the end from 'close', as it does for a CANCEL.
  stream.on('error', ignoreStreamError)
  const req = new H2Request(stream, headers)
  const res = new H2Response(stream)
  if (req.method === 'CONNECT') {
    res.statusCode = constants.HTTP_STATUS_METHOD_NOT_ALLOWED
    res.end()
    return
  }
  const expect = headers.expect
  if (expect !== undefined) {
    if (expect !== '100-continue') {
      res.statusCode = constants.HTTP_STATUS_EXPECTATION_FAILED
      res.end()
      return
    }
    stream.additionalHeaders({ [constants.HTTP2_HEADER_STATUS]: constants.HTTP_STATUS_CONTINUE })
  }
  app(req as unknown as IncomingMessage, res as unknown as ServerResponse)
}
