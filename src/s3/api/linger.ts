/**
 * Lingering after an early answer. A request refused before its body was read (bad credentials, a bad
 * header, a body check that failed halfway) is answered while the client may still be sending. Closing the
 * socket then, with bytes unread, makes the kernel reset the connection, and a client that reads only after
 * sending (boto3, the aws CLI) loses the answer: boto3 reports "EOF occurred in violation of protocol"
 * instead of InvalidAccessKeyId. So, as nginx's lingering close and Go's net/http do, the server keeps
 * reading and discarding the body for a bounded amount of bytes and time, and cuts the connection only past
 * those bounds.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

/** How long and how much a refused body is drained before the connection is cut. */
export interface LingerLimits {
  /** Bytes of body read and discarded at most. */
  maxBytes: number
  /** Time spent draining at most, in ms (nginx's lingering_time is 30 s). */
  maxMs: number
  /** Time without a byte from the client before giving up, in ms (nginx's lingering_timeout is 5 s). */
  idleMs: number
}

/** The default bounds: enough for a client to finish a single-part upload at loopback or LAN speed. */
export const DEFAULT_LINGER: LingerLimits = { maxBytes: 128 << 20, maxMs: 30_000, idleMs: 5_000 }

/**
 * drainUnreadBody reads and discards the rest of `req`'s body so the connection survives the answer; past
 * the bounds of `limits` it destroys the socket. A body already complete is left alone. Throws nothing.
 */
export function drainUnreadBody(req: IncomingMessage, limits: LingerLimits = DEFAULT_LINGER): void {
  if (req.complete || req.destroyed) return
  const socket = req.socket
  let bytes = 0
  const cut = (): void => {
    stop()
    socket.destroy()
  }
  const idle = setTimeout(cut, limits.idleMs)
  const total = setTimeout(cut, limits.maxMs)
  const onData = (chunk: Buffer): void => {
    bytes += chunk.length
    if (bytes > limits.maxBytes) cut()
    else idle.refresh()
  }
  function stop(): void {
    clearTimeout(idle)
    clearTimeout(total)
    req.off('data', onData)
  }
  // A decoder the handler piped the body into no longer reads: left attached, its backpressure would pause
  // the body and the drain would stall into a reset.
  req.unpipe()
  req.on('data', onData)
  req.once('end', stop)
  req.once('close', stop)
  req.once('error', stop)
  req.resume()
}

/**
 * answerStalls handles a request whose connection fell silent for the server's idle timeout: a body that
 * stopped arriving is answered `stalled()` (then the connection closes); a response the client stopped
 * reading is cut. A handler still working on a complete request is left alone. Throws nothing.
 */
export function answerStalls(req: IncomingMessage, res: ServerResponse, stalled: () => void): void {
  // Emitted only while the body is incomplete.
  req.once('timeout', () => {
    if (res.headersSent) {
      res.destroy()
      return
    }
    res.setHeader('connection', 'close')
    stalled()
  })
  res.on('timeout', () => {
    if (res.headersSent && !res.writableFinished) res.destroy()
  })
}
