/**
 * Runs a configured KMS server the way `keyhold server` does: with its observability (error
 * log, audit, metrics, log streams), on one process or on N workers, until SIGINT/SIGTERM.
 *
 * @module
 */
import cluster from 'node:cluster'
import { prepareKeystore } from '../config/keystore.js'
import type { ServerConfig } from '../config/types.js'
import { auditTargetOf, createKmsObservability } from '../observability/kms.js'
import { startKmsServer } from '../server.js'
import { resolveWorkerCount, WorkersError } from './index.js'
import { startPrimary } from './primary.js'
import { runWorker, type WorkerServer } from './worker.js'

/** Where the server can be reached, for the banner. */
export interface Listening {
  url: string
  port: number
  workers: number
}

/** Options of {@link serveKms}. */
export interface ServeKmsOptions {
  /** `--workers` (undefined: one per core; the memory keystore: one). */
  workers?: number
  /** The start-up banner, printed once (by the primary when there are workers). */
  banner: (at: Listening) => string
}

function urlOf(config: ServerConfig, port: number): string {
  const host = config.address.replace(/:\d+$/, '').replace(/^\[|\]$/g, '')
  const shown = host === '' || host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host
  return `https://${shown.includes(':') ? `[${shown}]` : shown}:${port}`
}

async function startOne(config: ServerConfig): Promise<WorkerServer & { url: string }> {
  const obs = await createKmsObservability(config)
  try {
    const server = await startKmsServer(config, { handleSignals: true, ...obs.serverOptions() })
    return {
      url: server.url,
      port: server.address.port,
      close: async () => {
        await server.close()
        await obs.close()
      },
    }
  } catch (err) {
    await obs.close()
    throw err
  }
}

/**
 * serveKms runs the server until it is stopped. Throws WorkersError for an impossible worker
 * count, AuditFileError when the audit file cannot be continued, and start-up errors.
 */
export async function serveKms(config: ServerConfig, options: ServeKmsOptions): Promise<void> {
  if (cluster.isWorker) {
    // Re-run by the primary with the same arguments: serve, and let the primary decide when to stop.
    await runWorker(() => startOne(config))
    return
  }
  const workers = resolveWorkerCount(options.workers, config.keystore.kind)
  if (workers > 1) {
    await prepareKeystore(config.keystore)
    const primary = await startPrimary({ workers, audit: auditTargetOf(config), handleSignals: true })
    const port = await primary.ready.catch((err: unknown) => {
      throw new WorkersError(`workers did not start: ${(err as Error).message}`)
    })
    process.stdout.write(options.banner({ url: urlOf(config, port), port, workers }))
    await primary.closed
    return
  }
  const server = await startOne(config)
  process.stdout.write(options.banner({ url: server.url, port: server.port, workers: 1 }))
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      void server.close().then(resolve, resolve)
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
}
