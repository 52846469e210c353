/**
 * A graceful stop: stop accepting, let the requests in flight finish within a grace period, then cut what is
 * left (an upload cut mid-body fails its pipeline, which removes its unfinished blob: nothing half-written is
 * committed), and wait for every handler to settle so that the caller can close the database last.
 *
 * @module
 */
import type { Server } from 'node:http'
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
 * drain stops `server` accepting and serves out its requests within `graceMs`; resolves what it did. Never
 * rejects. Keep-alive connections are closed as soon as they are idle; the caller answers `Connection: close`
 * on responses while stopping.
 */
export async function drain(server: Server, inflight: InflightRequests, graceMs: number): Promise<StopReport> {
  const started = performance.now()
  const before = inflight.count
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  server.closeIdleConnections()
  // Connections that finish a request during the grace period become idle: close them as they do.
  const idler = setInterval(() => server.closeIdleConnections(), 100)
  let finishedInTime: boolean
  try {
    finishedInTime = await inflight.idle(Math.max(0, graceMs))
  } finally {
    clearInterval(idler)
  }
  const cut = finishedInTime ? 0 : inflight.count
  server.closeAllConnections()
  const settled = await inflight.idle(CLEANUP_MS)
  await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 1_000).unref())])
  return { finished: Math.max(0, before - cut), cut, settled, elapsedMs: Math.round(performance.now() - started) }
}
