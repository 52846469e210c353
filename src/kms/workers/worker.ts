/**
 * The worker side of `keyhold server --workers N`: start the server with the cluster hooks handed
 * to it, tell the primary when it listens, and stop gracefully on SIGTERM (from the primary).
 *
 * @module
 */
import type { KeyTurns } from '../keystore/key-turns.js'
import type { CachePeers } from '../keystore/peers.js'
import type { ObservabilityHooks } from '../observability/cluster-hooks.js'
import { installWorkerLink } from './worker-link.js'

/** What a worker runs: the server's start and close. */
export interface WorkerServer {
  /** The port it listens on (shared by all workers). */
  port: number
  /** Stops accepting, finishes in-flight requests, releases everything (what it resolves with is not used). */
  close(): Promise<unknown>
}

/** What a worker's server is wired to: the rest of the cluster. */
export interface WorkerCluster {
  /** The link to the primary, for createKmsObservability: the audit log, metrics and log streams are cluster-wide. */
  hooks: ObservabilityHooks
  /** The other workers' key caches, for the server's key cache (KmsServerOptions.peers). */
  peers: CachePeers
  /** Where rotations and deletions of one key take turns with the other workers' (KmsServerOptions.turns). */
  turns: KeyTurns
}

/**
 * failWorkerStart tells the primary why this worker could not start (an invalid config file, a busy
 * port) and exits with code 1. The primary reports it, once for all workers; printing it here would
 * repeat it per worker. Without the exit, the IPC channel would keep a worker that never listens
 * alive for good. Never returns.
 */
export async function failWorkerStart(err: unknown): Promise<never> {
  const message = err instanceof Error ? err.message : String(err)
  await new Promise<void>((resolve) => {
    if (process.send === undefined || !process.connected) resolve()
    else process.send({ t: 'keyhold:start-failed', message }, undefined, {}, () => resolve())
  })
  if (process.connected) process.disconnect()
  process.exit(1)
}

/**
 * runWorker starts the server in this cluster worker; `start` receives what to wire it to. When
 * `start` throws, the worker sends the primary its message and exits with code 1. Throws nothing.
 */
export async function runWorker(start: (cluster: WorkerCluster) => Promise<WorkerServer>): Promise<void> {
  const { link, peers, turns } = installWorkerLink()
  let server: WorkerServer
  try {
    server = await start({ hooks: link, peers, turns })
  } catch (err) {
    return failWorkerStart(err)
  }
  let stopping = false
  const stop = (): void => {
    if (stopping) return
    stopping = true
    void server
      .close()
      .catch((err: unknown) => process.stderr.write(`keyhold: worker shutdown: ${(err as Error).message}\n`))
      .finally(() => {
        link.flush()
        // Exit only once the queued audit events have reached the primary.
        if (process.connected) process.disconnect()
        process.exit(0)
      })
  }
  process.once('SIGTERM', stop)
  // Ctrl-C reaches the whole process group; the primary answers it by sending each worker
  // SIGTERM, so a worker must not also stop on its own (the primary would see a crash and restart it).
  process.on('SIGINT', () => undefined)
  // A primary that dies leaves no one to restart or stop us: stop too.
  process.once('disconnect', stop)
  process.send?.({ t: 'keyhold:ready', port: server.port })
}
