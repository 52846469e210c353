/**
 * The cluster primary of `keyhold server --workers N`: forks N workers that share one listening
 * port (node:cluster), restarts a worker that dies, fans SIGHUP out to every worker (each
 * reloads its config and policies), and shuts down gracefully on SIGINT/SIGTERM.
 *
 * The primary serves no requests. It owns what must be single: the audit writer (one hash
 * chain), the relay of live log lines between workers, the sum of the workers' metrics and the
 * fan-out of key changes to every worker's cache (key-fanout.ts) and the turns of rotations and
 * deletions on each key (key-turn-table.ts).
 *
 * @module
 */
import cluster, { type Worker } from 'node:cluster'
import { openAuditWriter, type AuditWriter } from '../observability/audit-log.js'
import type { AuditTarget } from '../observability/audit-target.js'
import type { LogChannel } from '../observability/cluster-hooks.js'
import { isKeyholdMessage, WORKER_SLOT_ENV, type PrimaryMessage, type WorkerMessage } from './messages.js'
import { MetricsAggregator } from './metrics-aggregator.js'
import { KeyFanout } from './key-fanout.js'
import { KeyTurnTable } from './key-turn-table.js'
import type { ConfigSnapshot } from './config-snapshot.js'

/** A crash loop (this many unplanned exits within {@link CRASH_WINDOW_MS}) stops the server. */
const MAX_CRASHES = 5
const CRASH_WINDOW_MS = 30_000
/**
 * A replacement that cannot start (its config file became invalid since the server started) is
 * tried again after this long, doubling up to {@link RETRY_MAX_MS}, while the other workers serve.
 */
const RETRY_FIRST_MS = 1_000
const RETRY_MAX_MS = 60_000
/** Workers still alive this long after SIGTERM are killed. */
const SHUTDOWN_GRACE_MS = 10_000

/** Options of {@link startPrimary}. */
export interface PrimaryOptions {
  workers: number
  audit: AuditTarget
  /** The worker program and arguments; default: this program with the same arguments. */
  exec?: string
  args?: string[]
  /** Install SIGHUP/SIGINT/SIGTERM handlers (the CLI does; tests drive the methods). */
  handleSignals?: boolean
  /** Where the primary reports worker deaths and restarts; default stderr. */
  log?: (line: string) => void
  /** Delay before a crashed worker is replaced. */
  restartDelayMs?: number
  /** How long a worker may take to drop a changed key before it is killed (default 5 s). */
  keyAckTimeoutMs?: number
  /** The config text the workers run, handed to each starting worker and taken anew on SIGHUP when valid. */
  config?: ConfigSnapshot
}

/** Primary is a running cluster primary. */
export interface Primary {
  /** Resolves with the shared port once every first-generation worker listens. */
  readonly ready: Promise<number>
  /** Resolves when the primary has shut down (all workers gone, audit flushed). */
  readonly closed: Promise<void>
  /** The live workers' process ids. */
  pids(): number[]
  /** reload sends SIGHUP to every worker. */
  reload(): void
  /** shutdown stops the workers gracefully and closes the audit writer. Idempotent. */
  shutdown(): Promise<void>
}

/**
 * startPrimary forks the workers and runs the primary. Throws AuditFileError when the audit
 * file cannot be opened (before any worker starts) and Error when called outside the primary.
 */
export async function startPrimary(options: PrimaryOptions): Promise<Primary> {
  if (!cluster.isPrimary) throw new Error('startPrimary: not the cluster primary')
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`))
  const writer: AuditWriter = await openAuditWriter(options.audit, (m) => log(`keyhold: ${m}`))
  if (options.exec) cluster.setupPrimary({ exec: options.exec, args: options.args ?? [] })

  const subs = new Map<number, Record<LogChannel, number>>()
  const want: Record<LogChannel, boolean> = { audit: false, error: false }
  const metrics = new MetricsAggregator(() => [...live()])
  const keys = new KeyFanout({ workers: live, log, ...(options.keyAckTimeoutMs !== undefined ? { ackTimeoutMs: options.keyAckTimeoutMs } : {}) })
  const turns = new KeyTurnTable()
  /** Workers that said they could not start, and per slot how many starts failed in a row. */
  const failedToStart = new Set<number>()
  const failedStarts = new Map<number, number>()
  const crashes: number[] = []
  let stopping = false
  let resolveReady!: (port: number) => void
  let rejectReady!: (err: Error) => void
  const ready = new Promise<number>((res, rej) => ((resolveReady = res), (rejectReady = rej)))
  ready.catch(() => undefined)
  let readyCount = 0
  // A worker gets SIGHUP only once it listens: before that it has no handler and the signal
  // would kill it. One still starting when a reload comes gets it as soon as it is ready.
  const listening = new Set<number>()
  const hupWhenReady = new Set<number>()
  let resolveClosed!: () => void
  const closed = new Promise<void>((res) => (resolveClosed = res))

  function* live(): Iterable<Worker> {
    for (const w of Object.values(cluster.workers ?? {})) if (w && !w.isDead()) yield w
  }
  const send = (w: Worker, msg: PrimaryMessage): void => {
    if (w.isConnected()) w.send(msg)
  }

  const updateWant = (channel: LogChannel): void => {
    let total = 0
    for (const s of subs.values()) total += s[channel]
    if (total > 0 === want[channel]) return
    want[channel] = total > 0
    for (const w of live()) send(w, { t: 'keyhold:want', channel, want: want[channel] })
  }

  const onMessage = (worker: Worker, msg: WorkerMessage): void => {
    switch (msg.t) {
      case 'keyhold:ready':
        failedStarts.delete(slots.get(worker.id) ?? -1)
        keys.serving(worker.id)
        listening.add(worker.id)
        if (hupWhenReady.delete(worker.id)) worker.process.kill('SIGHUP')
        // The recovery is worth a line: the operator saw the exit and the replacement's start.
        if (started()) log(`keyhold: replacement worker ${worker.process.pid} is serving`)
        if (++readyCount === options.workers) resolveReady(msg.port)
        return
      case 'keyhold:start-failed':
        if (!started()) failStart(msg.message)
        else {
          failedToStart.add(worker.id)
          log(`keyhold: worker ${worker.process.pid} could not start: ${msg.message}`)
        }
        return
      case 'keyhold:audit':
        writer.write(msg.json)
        return
      case 'keyhold:lines':
        for (const w of live()) if (w !== worker && (subs.get(w.id)?.[msg.channel] ?? 0) > 0) send(w, msg)
        return
      case 'keyhold:subs':
        subs.set(worker.id, { ...(subs.get(worker.id) ?? { audit: 0, error: 0 }), [msg.channel]: msg.count })
        updateWant(msg.channel)
        return
      case 'keyhold:metrics-request':
        void metrics.aggregate().then(
          (text) => send(worker, { t: 'keyhold:metrics-result', id: msg.id, text }),
          () => send(worker, { t: 'keyhold:metrics-result', id: msg.id, text: '' }),
        )
        return
      case 'keyhold:metrics-part':
        metrics.receive(worker.id, msg.id, msg.metrics)
        return
      case 'keyhold:key-changed':
        void keys.announce(worker, msg.name).then(() => send(worker, { t: 'keyhold:key-announced', id: msg.id }))
        return
      case 'keyhold:key-dropped':
        keys.ack(worker.id, msg.id)
        return
      case 'keyhold:turn-take':
        turns.take(worker.id, msg.id, msg.name, () => send(worker, { t: 'keyhold:turn-given', id: msg.id }))
        return
      case 'keyhold:turn-end':
        turns.end(worker.id, msg.id)
        return
      case 'keyhold:config-request':
        send(worker, { t: 'keyhold:config', text: options.config?.text ?? null })
        return
    }
  }

  // Each worker has a slot, kept by its replacement: slot 0 speaks for all in the log where every
  // worker would otherwise say the same (a reload), so an operator reads one line per event.
  const slots = new Map<number, number>()
  const fork = (slot: number): void => {
    const w = cluster.fork({ [WORKER_SLOT_ENV]: String(slot) })
    slots.set(w.id, slot)
    w.on('message', (msg: unknown) => {
      if (isKeyholdMessage(msg)) onMessage(w, msg as WorkerMessage)
    })
    // A new worker must know which channels have followers elsewhere.
    w.once('online', () => {
      for (const channel of ['audit', 'error'] as const) if (want[channel]) send(w, { t: 'keyhold:want', channel, want: true })
    })
  }

  // A pending replacement keeps the primary alive (an unref'd timer let it exit, code 13, the moment no worker
  // process was left, e.g. both killed at once); a shutdown cancels them.
  const pendingStarts = new Set<NodeJS.Timeout>()
  const later = (start: () => void, delay: number): void => {
    const timer = setTimeout(() => {
      pendingStarts.delete(timer)
      if (!stopping) start()
    }, delay)
    pendingStarts.add(timer)
  }

  const onExit = (worker: Worker, code: number | null, signal: string | null): void => {
    const slot = slots.get(worker.id) ?? 0
    slots.delete(worker.id)
    subs.delete(worker.id)
    keys.gone(worker.id)
    turns.gone(worker.id)
    for (const channel of ['audit', 'error'] as const) updateWant(channel)
    if (stopping) {
      if ([...live()].length === 0) void finish()
      return
    }
    listening.delete(worker.id)
    hupWhenReady.delete(worker.id)
    if (failedToStart.delete(worker.id) && listening.size > 0) {
      // Not a crash: the running workers keep serving on the config they loaded. Stopping the server
      // over it (the crash loop) would turn a bad edit into an outage; retrying finds the fixed file.
      const failed = (failedStarts.get(slot) ?? 0) + 1
      failedStarts.set(slot, failed)
      const delay = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (failed - 1))
      log(`keyhold: trying again in ${delay / 1000}s; ${listening.size} worker(s) still serving`)
      later(() => {
        log('keyhold: starting a replacement worker')
        fork(slot)
      }, delay)
      return
    }
    if (!started() && signal === null) {
      // The worker's own reason (start-failed) may still be in the pipe: give it a moment to win.
      const reason = `worker ${worker.process.pid} exited (code ${code}) before listening`
      setTimeout(() => failStart(reason), 100).unref()
      return
    }
    const now = Date.now()
    crashes.push(now)
    while (crashes.length > 0 && crashes[0]! < now - CRASH_WINDOW_MS) crashes.shift()
    log(`keyhold: worker ${worker.process.pid} exited (${signal ?? `code ${code}`})`)
    if (crashes.length >= MAX_CRASHES) {
      log(`keyhold: ${crashes.length} worker crashes within ${CRASH_WINDOW_MS / 1000}s: stopping`)
      process.exitCode = 1
      rejectReady(new Error('workers keep crashing'))
      void shutdown()
      return
    }
    later(() => {
      log('keyhold: starting a replacement worker')
      fork(slot)
    }, options.restartDelayMs ?? 200)
  }
  cluster.on('exit', onExit)

  // Until every first-generation worker listens, a failing worker fails the whole start: its
  // siblings would fail the same way (a busy port), and a server that does not listen must exit
  // non-zero rather than look up to systemd or Docker while its workers are replaced forever.
  const started = (): boolean => readyCount >= options.workers
  const failStart = (message: string): void => {
    if (stopping) return
    process.exitCode = 1
    rejectReady(new Error(message))
    void shutdown()
  }

  let finishing: Promise<void> | undefined
  const finish = (): Promise<void> => {
    finishing ??= (async () => {
      cluster.off('exit', onExit)
      await writer.close()
      resolveClosed()
    })()
    return finishing
  }

  const shutdown = async (): Promise<void> => {
    if (!stopping) {
      stopping = true
      for (const timer of pendingStarts) clearTimeout(timer)
      pendingStarts.clear()
      const workers = [...live()]
      if (workers.length === 0) void finish()
      for (const w of workers) w.process.kill('SIGTERM')
      const killer = setTimeout(() => {
        for (const w of live()) w.process.kill('SIGKILL')
      }, SHUTDOWN_GRACE_MS)
      killer.unref()
      void closed.then(() => clearTimeout(killer))
    }
    await closed
  }

  const reload = (): void => {
    // Workers started from now on get the file as the running ones are about to take it (or not).
    options.config?.reload()
    for (const w of live()) {
      if (listening.has(w.id)) w.process.kill('SIGHUP')
      else hupWhenReady.add(w.id)
    }
  }

  if (options.handleSignals) {
    process.on('SIGHUP', reload)
    const stop = (): void => void shutdown()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  }

  for (let i = 0; i < options.workers; i++) fork(i)
  return { ready, closed, pids: () => [...live()].map((w) => w.process.pid!).filter(Boolean), reload, shutdown }
}
