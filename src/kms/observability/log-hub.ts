/**
 * Live log streams (`/v1/log/audit`, `/v1/log/error`): a hub that fans JSON events out to every
 * connected client as ndjson, one line per event, written (and so flushed) as it happens.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { isHttp2 } from '../api/connection.js'

/** A slow reader is cut off once this much output is queued for it, instead of growing memory. */
const MAX_QUEUED_BYTES = 1 << 20

/** A subscriber receives each event as one ndjson line (newline included). */
export type LogListener = (line: string) => void

/** LogHub broadcasts log events to its subscribers. Throws nothing. */
export class LogHub {
  readonly #listeners = new Set<LogListener>()
  readonly #enders = new Map<LogListener, () => void>()
  #onCount: ((count: number) => void) | undefined
  #tap: LogListener | undefined

  /** The number of current subscribers. */
  get size(): number {
    return this.#listeners.size
  }

  /** onSubscribersChange registers the one callback told the subscriber count when it changes. */
  onSubscribersChange(fn: (count: number) => void): void {
    this.#onCount = fn
  }

  /**
   * setTap registers the one listener that sees this process's own events (not delivered ones)
   * without counting as a subscriber: the cluster relay. Undefined removes it.
   */
  setTap(fn: LogListener | undefined): void {
    this.#tap = fn
  }

  /** Whether anyone (a subscriber or the tap) receives what is published. */
  get active(): boolean {
    return this.#listeners.size > 0 || this.#tap !== undefined
  }

  /** publish sends this process's `event` to every subscriber and the tap. Cheap when nobody listens. */
  publish(event: object): void {
    if (this.active) this.publishJson(JSON.stringify(event))
  }

  /** publishJson is {@link publish} for an event already serialised by `JSON.stringify`. */
  publishJson(json: string): void {
    if (!this.active) return
    const line = `${json}\n`
    this.deliver(line)
    this.#tap?.(line)
  }

  /** deliver sends an already serialised ndjson line (newline included) to the subscribers only. */
  deliver(line: string): void {
    for (const fn of this.#listeners) fn(line)
  }

  /**
   * subscribe adds a listener and returns the function that removes it. `end`, if given, is how
   * {@link endAll} ends this subscriber's stream.
   */
  subscribe(fn: LogListener, end?: () => void): () => void {
    this.#listeners.add(fn)
    if (end !== undefined) this.#enders.set(fn, end)
    this.#onCount?.(this.#listeners.size)
    return () => {
      this.#enders.delete(fn)
      if (this.#listeners.delete(fn)) this.#onCount?.(this.#listeners.size)
    }
  }

  /** endAll ends every subscriber's stream (a stopping server: they would never finish). Throws nothing. */
  endAll(): void {
    for (const end of [...this.#enders.values()]) end()
  }
}

/**
 * streamLog answers a request with the hub's live ndjson stream until the client goes away.
 * Throws nothing; resolves when the stream ends.
 */
export function streamLog(hub: LogHub, req: IncomingMessage, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    res.statusCode = 200
    res.setHeader('Content-Type', 'application/x-ndjson')
    res.setHeader('Cache-Control', 'no-store')
    // The socket must not time out on a quiet stream. On HTTP/2 the socket is shared (and
    // `req.socket.setTimeout` would set the whole session's): the listener closes idle sessions
    // only when no stream is open, so a quiet log stream keeps its session.
    if (!isHttp2(req)) req.socket.setTimeout(0)
    res.flushHeaders()
    const unsubscribe = hub.subscribe((line) => {
      if (res.writableLength > MAX_QUEUED_BYTES) {
        res.destroy()
        return
      }
      res.write(line)
    }, () => res.end())
    const done = (): void => {
      unsubscribe()
      resolve()
    }
    // res 'close' fires when the client disconnects (req 'close' fires once the request is read).
    res.once('close', done)
  })
}
