/**
 * `keyhold server --workers N`: the entry the server command calls to run on all cores.
 *
 * @module
 */
import cluster from 'node:cluster'
import { availableParallelism } from 'node:os'
import type { AuditTarget } from '../observability/audit-target.js'
import { startPrimary } from './primary.js'
import { runWorker, type WorkerServer } from './worker.js'

export { runWorker, type WorkerServer } from './worker.js'
export { startPrimary, type Primary, type PrimaryOptions } from './primary.js'

/** WorkersError: the requested worker count cannot work with this configuration. */
export class WorkersError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'WorkersError'
  }
}

/**
 * resolveWorkerCount turns `--workers` (undefined: one per core) into a count. The memory
 * keystore lives inside one process, so N workers would be N disjoint key sets: it defaults to
 * one worker and refuses more. Throws WorkersError for that and for a count below 1.
 */
export function resolveWorkerCount(requested: number | undefined, keystoreKind: string): number {
  if (requested !== undefined && (!Number.isInteger(requested) || requested < 1)) {
    throw new WorkersError(`invalid number of workers '${requested}': want a whole number of at least 1`)
  }
  if (keystoreKind === 'memory') {
    if (requested !== undefined && requested > 1) {
      throw new WorkersError(
        `the memory keystore keeps keys inside one process: it cannot be shared by ${requested} workers (use --workers 1, or an fs or vault keystore)`,
      )
    }
    return 1
  }
  return requested ?? availableParallelism()
}

/** Options of {@link serveOnWorkers}. */
export interface ServeOptions {
  /** The resolved worker count (see {@link resolveWorkerCount}); 1 means no cluster. */
  workers: number
  /** The audit target, opened by the primary. */
  audit: AuditTarget
  /** Starts the server in this process. */
  start: () => Promise<WorkerServer>
}

/**
 * serveOnWorkers runs the server: in this process when `workers` is 1 (the caller's own
 * lifecycle applies), else as the cluster primary (which returns when it has shut down) or as a
 * worker. Throws what `start` or {@link startPrimary} throw.
 */
export async function serveOnWorkers(options: ServeOptions): Promise<WorkerServer | undefined> {
  if (cluster.isWorker) {
    await runWorker(options.start)
    return undefined
  }
  if (options.workers <= 1) return options.start()
  const primary = await startPrimary({ workers: options.workers, audit: options.audit, handleSignals: true })
  await primary.closed
  return undefined
}
