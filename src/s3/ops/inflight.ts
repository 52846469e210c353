/**
 * InflightRequests: the requests a server is serving, so that a graceful stop can wait for them, the metrics
 * can show them, and the database is closed only once no handler can touch it any more.
 *
 * @module
 */
import type { ServerResponse } from 'node:http'
import { within } from '../../lib/within.js'

/** InflightRequests tracks requests from arrival until both their handler settled and their response closed. */
export class InflightRequests {
  readonly #active = new Set<Promise<void>>()

  /** count is how many requests are in flight. */
  get count(): number {
    return this.#active.size
  }

  /**
   * track counts one request until `handler` settles and `res` closes (finished, or its socket destroyed).
   * Never throws; the handler's rejection is not reported here (handlers answer their own errors).
   */
  track(res: ServerResponse, handler?: Promise<unknown>): void {
    const closed = new Promise<void>((resolve) => {
      if (res.closed) resolve()
      else res.once('close', () => resolve())
    })
    const done = Promise.all([closed, handler?.catch(() => undefined)]).then(() => undefined)
    this.#active.add(done)
    void done.then(() => this.#active.delete(done))
  }

  /** idle resolves true once no request is in flight, or false when `timeoutMs` passed first. Never rejects. */
  async idle(timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs
    while (this.#active.size > 0) {
      const left = deadline - performance.now()
      if (left <= 0) return false
      // Requests that arrive meanwhile are waited for on the next turn.
      await within(Promise.all([...this.#active]), left)
    }
    return true
  }
}
