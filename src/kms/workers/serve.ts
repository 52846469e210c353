/**
 * Runs a configured KMS server the way `keyhold server` does: with its observability (error
 * log, audit, metrics, log streams), on one process or on N workers, until SIGINT/SIGTERM.
 *
 * @module
 */
import cluster from 'node:cluster'
import { prepareKeystore } from '../config/keystore.js'
import { parseConfig } from '../config/load.js'
import { sharedKeystoreWarning } from '../config/shared-keystore.js'
import type { ServerConfig } from '../config/types.js'
import { auditTargetOf, createKmsObservability } from '../observability/kms.js'
import { startKmsServer } from '../server.js'
import { ConfigSnapshot } from './config-snapshot.js'
import { speaksForAll } from './messages.js'
import { resolveWorkerCount, WorkersError } from './index.js'
import { startPrimary } from './primary.js'
import { runWorker, type WorkerCluster } from './worker.js'

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
  /** The text of the config file `config` came from: what the workers start with (config-snapshot.ts). */
  configText?: string
}

function urlOf(config: ServerConfig, port: number): string {
  const host = config.address.replace(/:\d+$/, '').replace(/^\[|\]$/g, '')
  const shown = host === '' || host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host
  return `https://${shown.includes(':') ? `[${shown}]` : shown}:${port}`
}

/** ListenError: the server cannot listen on its address; the message is the one line to show. */
class ListenError extends Error {
  constructor(address: string, cause: NodeJS.ErrnoException) {
    const why = cause.code === 'EADDRINUSE' ? 'the address is already in use' : cause.code === 'EACCES' ? 'permission denied' : cause.message
    super(`cannot listen on ${address}: ${why}`, { cause })
    this.name = 'ListenError'
  }
}

function isListenError(err: unknown): err is NodeJS.ErrnoException {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  const syscall = (err as NodeJS.ErrnoException | undefined)?.syscall
  return (syscall === 'listen' || syscall === 'bind') && (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL')
}

/**
 * How long a stopping server lets requests in flight finish before it cuts them: well inside the
 * 10 s after which `docker stop` (and the cluster primary) kill.
 */
const REQUEST_GRACE_MS = 5_000

function cutText(cut: number): string {
  return `${cut} request(s) still running after ${REQUEST_GRACE_MS / 1000}s were cut`
}

async function startOne(config: ServerConfig, worker?: WorkerCluster): Promise<{ url: string; port: number; close(): Promise<number> }> {
  const obs = await createKmsObservability(config, { cluster: worker?.hooks })
  try {
    const server = await startKmsServer(config, {
      handleSignals: true, announceReloads: speaksForAll(), rotateKeys: speaksForAll(), ...obs.serverOptions(),
      ...(worker !== undefined ? { peers: worker.peers, turns: worker.turns } : {}),
    }).catch((err: unknown) => {
      throw isListenError(err) ? new ListenError(config.address, err) : err
    })
    return {
      url: server.url,
      port: server.address.port,
      close: async () => {
        obs.endStreams()
        const cut = await server.close(REQUEST_GRACE_MS)
        await obs.close()
        if (cut > 0 && cluster.isWorker) process.stderr.write(`keyhold: worker ${process.pid}: ${cutText(cut)}\n`)
        return cut
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
    await runWorker((worker) => startOne(config, worker))
    return
  }
  const workers = resolveWorkerCount(options.workers, config.keystore.kind)
  const shared = sharedKeystoreWarning(config)
  if (shared !== undefined) process.stderr.write(`${shared}\n`)
  for (const name of await prepareKeystore(config.keystore)) {
    process.stderr.write(`keyhold: keystore: key '${name}' was left half-replaced by an interrupted rotation; put back at its name\n`)
  }
  if (workers > 1) {
    const file = config.configFile
    const snapshot = file !== undefined && options.configText !== undefined ? new ConfigSnapshot(file, options.configText, (text) => parseConfig(text, file)) : undefined
    const primary = await startPrimary({ workers, audit: auditTargetOf(config), handleSignals: true, ...(snapshot ? { config: snapshot } : {}) })
    const port = await primary.ready.catch(async (err: unknown) => {
      await primary.closed // the other workers stopped and the audit flushed: then one line, exit 1
      throw new WorkersError((err as Error).message)
    })
    process.stdout.write(options.banner({ url: urlOf(config, port), port, workers }))
    await primary.closed
    // The workers finished their requests (or reported what they cut) and the primary flushed the audit log.
    if (!process.exitCode) process.stderr.write('keyhold: stopped: workers finished their requests, audit log flushed\n')
    return
  }
  const server = await startOne(config)
  // Listen before the banner says we serve: a SIGTERM arriving with no listener kills the process outright,
  // cutting the requests in flight and the audit flush.
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    const stop = (sig: NodeJS.Signals): void => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve(sig)
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
  process.stdout.write(options.banner({ url: server.url, port: server.port, workers: 1 }))
  const signal = await stopped
  // Stop accepting, let requests in flight finish, flush the audit log: then one line.
  const cut = await server.close()
  process.stderr.write(`keyhold: stopped on ${signal}: ${cut > 0 ? cutText(cut) : 'requests in flight finished'}, audit log flushed\n`)
}
