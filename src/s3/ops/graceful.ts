/**
 * A graceful stop: stop accepting, let the requests in flight finish within a grace period, then cut what is
 * left (an upload cut mid-body fails its pipeline, which removes its unfinished blob: nothing half-written is
 * committed), and wait for every handler to settle so that the caller can close the database last.
 *
 * The connections are handled by the same closer as the KMS's (lib/graceful-close.ts): idle keep-alive
 * connections close at once and the others as their last answer goes out, answered ones get a moment to
 * flush before anything is cut. This file adds what the object store needs on top: handlers that work on
 * after their response (removing a blob, rolling back) and the report.
 *
 * @module
 */
import type { GracefulCloser } from '../../lib/graceful-close.js'
import type { InflightRequests } from './inflight.js'

/** How long handlers of cut requests get to clean up (remove their blob, roll back) before the database closes. */
const CLEANUP_MS = 10_000

/** What a graceful stop did. */
export interface StopReport {
  /** Requests that finished within the grace period. */
  finished: number
  /** Requests cut when the grace period ran out. */
  cut: number
  /** Whether every handler settled (false: the database is closed under a handler that hung). */
  settled: boolean
  elapsedMs: number
}

/**
 * drain stops the server behind `closer` and serves out its requests within `graceMs`; resolves what it did.
 * Never rejects.
 */
export async function drain(closer: GracefulCloser, inflight: InflightRequests, graceMs: number): Promise<StopReport> {
  const started = performance.now()
  const before = inflight.count
  const cut = await closer.close(Math.max(0, graceMs))
  const settled = await inflight.idle(CLEANUP_MS)
  return { finished: Math.max(0, before - cut), cut, settled, elapsedMs: Math.round(performance.now() - started) }
}
