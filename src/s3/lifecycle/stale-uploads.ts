/**
 * Stale multipart uploads: an upload never completed nor aborted keeps its parts on disk for good, and a client
 * can start them by the thousand (found by an attack). As MinIO does by default (`api.stale_uploads_expiry`,
 * 24 h), uploads initiated longer ago than the expiry are aborted, in bounded steps, whatever the bucket's
 * lifecycle says.
 *
 * @module
 */
import type { MetaStore } from '../storage/meta.js'

/** MinIO's default: an upload left for a day is abandoned. */
export const DEFAULT_STALE_UPLOADS_MS = 24 * 60 * 60 * 1000

/**
 * abortStaleUploads aborts at most `limit` uploads initiated at or before `now - staleMs`, oldest first; returns
 * how many it aborted (call again for more). Throws only on database errors.
 */
export function abortStaleUploads(meta: MetaStore, now: number, staleMs: number, limit: number): number {
  const stale = meta.db.prepare('SELECT id FROM uploads WHERE initiated <= ? ORDER BY initiated LIMIT ?')
    .all(now - staleMs, limit) as Array<{ id: string }>
  // Each its own transaction, as an AbortMultipartUpload: a crash leaves every other upload whole.
  for (const { id } of stale) meta.db.transaction(() => meta.dropUpload(id))()
  if (stale.length > 0) void meta.blobs.collect()
  return stale.length
}
