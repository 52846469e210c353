/**
 * Route deadlines checked by one timer per process instead of one `setTimeout` per request.
 *
 * Every KMS request has a deadline (KES's write timeout, 10–15 s, or the operator's `api.<path>.timeout`),
 * and nearly every request finishes long before it. A `setTimeout`/`clearTimeout` pair per request was a
 * measurable part of a keep-alive request on node:https (creating and unlinking a Timeout, and Node
 * re-arming its timer list when the list empties); a set insert and delete is not. The sweeper ticks
 * only while some deadline is pending, so an idle server does not wake up.
 *
 * @module
 */
import { performance } from 'node:perf_hooks'

/** A pending deadline; pass it back to {@link DeadlineSweeper.clear}. */
export interface Deadline {
  readonly at: number
  readonly onExpire: () => void
}

/**
 * DeadlineSweeper runs each pending deadline's `onExpire` once its time has passed, at most one tick
 * (`tickMs`) late. `onExpire` must not throw; if it does, the error is dropped and the sweep goes on.
 */
export class DeadlineSweeper {
  readonly #pending = new Set<Deadline>()
  readonly #tickMs: number
  #timer: NodeJS.Timeout | undefined

  /** `tickMs` bounds how late a deadline may fire (default 100 ms). */
  constructor(tickMs = 100) {
    this.#tickMs = tickMs
  }

  /** add schedules `onExpire` in `ms` milliseconds. Throws nothing. */
  add(ms: number, onExpire: () => void): Deadline {
    const deadline: Deadline = { at: performance.now() + ms, onExpire }
    this.#pending.add(deadline)
    // Unref'd: a pending deadline belongs to an open connection, which keeps the process alive itself.
    this.#timer ??= setInterval(() => this.#sweep(), this.#tickMs).unref()
    return deadline
  }

  /** clear drops a deadline (its request finished). Idempotent; throws nothing. */
  clear(deadline: Deadline | undefined): void {
    if (deadline !== undefined) this.#pending.delete(deadline)
  }

  /** The number of pending deadlines (tests). */
  get size(): number {
    return this.#pending.size
  }

  #sweep(): void {
    const now = performance.now()
    for (const d of this.#pending) {
      if (d.at > now) continue
      this.#pending.delete(d)
      try {
        d.onExpire()
      } catch {
        // A request's timeout handler failing must not stop the others' deadlines.
      }
    }
    if (this.#pending.size === 0) {
      clearInterval(this.#timer)
      this.#timer = undefined
    }
  }
}

/** The process's sweeper for route deadlines (one per process: the requests of every server share it). */
export const routeDeadlines = new DeadlineSweeper()
