/**
 * The graceful stop of `keyhold-s3 server`: the one line it logs. How long it waits (MINIO_SHUTDOWN_TIMEOUT) is
 * read with the rest of the environment (src/s3/config/environment.ts).
 *
 * @module
 */
import type { StopReport } from '../../s3/ops/graceful.js'

/** stopLine is the one line logged when the server stopped. Throws nothing. */
export function stopLine(signal: string, r: StopReport): string {
  const cut = r.cut > 0 ? `, ${r.cut} cut at the grace period's end (their uploads were discarded)` : ''
  const hung = r.settled ? '' : ', some handlers had not settled'
  return `stopped on ${signal} in ${r.elapsedMs} ms: ${r.finished} request(s) in flight finished${cut}${hung}`
}
