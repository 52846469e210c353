/**
 * `keyhold server --workers N`: the worker count, and the primary and worker entries the server command (serve.ts) runs.
 *
 * @module
 */
import { availableParallelism } from 'node:os'

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
