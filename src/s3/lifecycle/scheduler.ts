/**
 * Runs the lifecycle expiry pass (expiry.ts) on a timer for the life of a server. A pass is synchronous and
 * bounded, so passes never overlap; a failed pass is logged (bucket names only) and the next one tries again.
 *
 * @module
 */
import type { MetaStore } from '../storage/meta.js'
import { runExpiryPass, type ExpiryCursors, type ExpiryReport } from './expiry.js'
import type { MessageLog } from '../../lib/logger.js'
import { abortStaleUploads, DEFAULT_STALE_UPLOADS_MS } from './stale-uploads.js'

/** Uploads aborted at most per pass, so a pass never holds the event loop for long. */
const STALE_UPLOADS_PER_PASS = 1000

/** The default time between passes: expiry is counted in days, so minutes of delay do not matter. */
export const DEFAULT_EXPIRY_INTERVAL_MS = 10 * 60 * 1000

/** A running schedule; stop ends it (call before closing the database). */
export interface ExpirySchedule {
  stop(): void
}

/**
 * startLifecycleExpiry runs a pass every intervalMs (0 or less: never) and reports what each pass removed to
 * `onPass`; each pass also aborts uploads initiated longer than `staleUploadsMs` ago (stale-uploads.ts; 0 or
 * less: never). Throws nothing.
 */
export function startLifecycleExpiry(
  meta: MetaStore, log: MessageLog, intervalMs: number, onPass?: (r: ExpiryReport) => void, staleUploadsMs = DEFAULT_STALE_UPLOADS_MS,
): ExpirySchedule {
  if (intervalMs <= 0) return { stop() {} }
  const cursors: ExpiryCursors = new Map()
  const timer = setInterval(() => {
    try {
      if (staleUploadsMs > 0) {
        const stale = abortStaleUploads(meta, Date.now(), staleUploadsMs, STALE_UPLOADS_PER_PASS)
        if (stale > 0) log.info(`stale uploads: aborted ${stale} multipart uploads left unfinished`)
      }
      const report = runExpiryPass(meta, Date.now(), cursors)
      const removed = report.expired + report.noncurrent + report.deleteMarkers + report.uploads
      if (removed > 0) log.info(`lifecycle: expired ${report.expired} objects, ${report.noncurrent} noncurrent versions, ${report.deleteMarkers} delete markers, aborted ${report.uploads} uploads`)
      onPass?.(report)
    } catch (err) {
      log.error(`lifecycle: expiry pass failed: ${err instanceof Error ? err.message : String(err)}`)
    }
  }, intervalMs)
  timer.unref()
  return { stop: () => clearInterval(timer) }
}
