/**
 * Graceful close of a node:http(s) server: stop accepting, let the requests in flight finish
 * within a grace period, close keep-alive connections as they fall idle, then cut what is left.
 *
 * Node's own `server.close()` leaves a keep-alive connection open until its idle timeout after its
 * last response, and `closeAllConnections()` cuts requests in flight: neither is a graceful stop.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { within } from './within.js'

/**
 * What a graceful close needs of a server: a node:http(s) `Server` has all of it; the KMS's
 * HTTP/2-and-HTTP/1.1 listener supplies the two connection methods itself (listener.ts).
 */
export interface ClosableServer {
  prependListener(event: 'request', listener: (req: IncomingMessage, res: ServerResponse) => void): unknown
  close(callback: () => void): unknown
  /** Closes connections with no request in flight (HTTP/2: GOAWAY, open streams still finish). */
  closeIdleConnections(): void
  /** Destroys every connection. */
  closeAllConnections(): void
}

/** How long answered connections get to flush and close by themselves before they are cut. */
const FLUSH_MS = 1_000

/** GracefulCloser closes one server. */
export interface GracefulCloser {
  /** Requests being answered right now. */
  readonly inFlight: number
  /**
   * close stops accepting, waits up to `graceMs` for the requests in flight, then drops every
   * connection. Resolves with the number of requests that were cut. Idempotent; throws nothing.
   */
  close(graceMs: number): Promise<number>
}

/** gracefulCloser starts tracking the requests of `server` (call it before it listens). Throws nothing. */
export function gracefulCloser(server: ClosableServer): GracefulCloser {
  const active = new Set<ServerResponse>()
  let closing = false
  let drained: (() => void) | undefined

  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    active.add(res)
    // A request that arrives on a kept-alive connection while we close is answered, then that
    // connection closes (Connection: close) instead of idling until its timeout.
    if (closing) res.shouldKeepAlive = false
    res.once('close', () => {
      active.delete(res)
      if (!closing) return
      // The connection becomes idle just after the response: close it then.
      setImmediate(() => server.closeIdleConnections())
      if (active.size === 0) drained?.()
    })
  })

  let closed: Promise<number> | undefined
  const close = (graceMs: number): Promise<number> => {
    closed ??= (async () => {
      closing = true
      for (const res of active) if (!res.headersSent) res.shouldKeepAlive = false
      const done = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeIdleConnections()
      if (active.size > 0 && graceMs > 0) await within(new Promise<void>((resolve) => (drained = resolve)), graceMs)
      const cut = active.size
      // Every request was answered: the connections close by themselves once their last bytes are
      // written (keep-alive ones answered `Connection: close`, HTTP/2 sessions got a GOAWAY).
      // Destroying them at once could drop an answer still in the socket's queue.
      if (cut === 0 && graceMs > 0) await within(done, Math.min(graceMs, FLUSH_MS))
      server.closeAllConnections()
      await done
      return cut
    })()
    return closed
  }

  return {
    get inFlight() {
      return active.size
    },
    close,
  }
}
