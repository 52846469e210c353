/**
 * The graceful stop of `keyhold-s3 server`: how long it waits (MINIO_SHUTDOWN_TIMEOUT, as MinIO's hidden
 * `--shutdown-timeout`, default 30 s) and the one line it logs.
 *
 * @module
 */
import { parseDuration } from '../../lib/duration.js'
import type { StopReport } from '../../s3/ops/graceful.js'

/** DEFAULT_SHUTDOWN_GRACE_MS is MinIO's default shutdown timeout. */
const DEFAULT_SHUTDOWN_GRACE_MS = 30_000

/**
 * shutdownGraceMs reads MINIO_SHUTDOWN_TIMEOUT: a duration such as `30s`, `500ms`, `2m`, or `0`; 30 s when
 * unset. Throws Error for anything else (start-up then stops with its message).
 */
export function shutdownGraceMs(env: NodeJS.ProcessEnv): number {
  const text = (env.MINIO_SHUTDOWN_TIMEOUT ?? '').trim()
  if (text === '') return DEFAULT_SHUTDOWN_GRACE_MS
  const ms = parseDuration(text)
  if (ms === undefined) throw new Error(`invalid MINIO_SHUTDOWN_TIMEOUT '${text}': use e.g. 30s, 500ms or 0`)
  return ms
}

/** stopLine is the one line logged when the server stopped. Throws nothing. */
export function stopLine(signal: string, r: StopReport): string {
  const cut = r.cut > 0 ? `, ${r.cut} cut at the grace period's end (their uploads were discarded)` : ''
  const hung = r.settled ? '' : ', some handlers had not settled'
  return `stopped on ${signal} in ${r.elapsedMs} ms: ${r.finished} request(s) in flight finished${cut}${hung}`
}
