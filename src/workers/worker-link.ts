/**
 * The worker side of the cluster: installs the observability hooks that send audit events to
 * the primary, relay live log lines between workers and aggregate metrics scrapes.
 *
 * Messages are batched per event-loop turn, so a busy worker sends one IPC message per turn,
 * not one per request.
 *
 * @module
 */
import type { AuditWriter } from '../observability/audit-log.js'
import type { LogHub } from '../observability/log-hub.js'
import type { KmsMetrics } from '../observability/metrics.js'
import { setObservabilityHooks, type LogChannel, type ObservabilityHooks } from '../observability/process-hooks.js'
import { isKeyholdMessage, type PrimaryMessage, type WorkerMessage } from './messages.js'

/** How long a metrics scrape waits for the primary before failing. */
const METRICS_TIMEOUT_MS = 5000

type Send = (msg: WorkerMessage) => void

/** WorkerLink connects this worker's observability to the primary. */
export class WorkerLink implements ObservabilityHooks {
  readonly #send: Send
  readonly #hubs: Record<LogChannel, LogHub[]> = { audit: [], error: [] }
  readonly #want: Record<LogChannel, boolean> = { audit: false, error: false }
  readonly #lines: Record<LogChannel, string[]> = { audit: [], error: [] }
  #events: object[] = []
  #flushQueued = false
  #metrics: KmsMetrics | undefined
  #nextId = 1
  readonly #pending = new Map<number, { resolve: (text: string) => void; timer: NodeJS.Timeout }>()

  /** Uses `send` for messages to the primary (process.send in a worker). */
  constructor(send: Send) {
    this.#send = send
  }

  /** auditWriter returns the writer that forwards events to the primary. */
  auditWriter(): AuditWriter {
    return {
      write: (event) => {
        this.#events.push(event)
        this.#queueFlush()
      },
      close: () => {
        this.#flush()
        return Promise.resolve()
      },
    }
  }

  /** registerHub relays the hub's own events to the primary and tells it about followers. */
  registerHub(channel: LogChannel, hub: LogHub): void {
    this.#hubs[channel].push(hub)
    hub.setTap((line) => {
      if (!this.#want[channel]) return
      this.#lines[channel].push(line)
      this.#queueFlush()
    })
    hub.onSubscribersChange(() => {
      const count = this.#hubs[channel].reduce((n, h) => n + h.size, 0)
      this.#send({ t: 'keyhold:subs', channel, count })
    })
  }

  /** registerMetrics remembers the metrics this worker reports to the primary. */
  registerMetrics(metrics: KmsMetrics): void {
    this.#metrics = metrics
  }

  /** renderMetrics asks the primary for every worker's metrics, summed. Throws on time-out. */
  renderMetrics(): Promise<string> {
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id)
        reject(new Error('cluster primary did not answer the metrics request'))
      }, METRICS_TIMEOUT_MS)
      timer.unref()
      this.#pending.set(id, { resolve, timer })
      this.#send({ t: 'keyhold:metrics-request', id })
    })
  }

  /** handle processes one message from the primary. Throws nothing. */
  handle(msg: PrimaryMessage): void {
    switch (msg.t) {
      case 'keyhold:lines':
        for (const hub of this.#hubs[msg.channel]) for (const line of msg.lines) hub.deliver(line)
        return
      case 'keyhold:want':
        this.#want[msg.channel] = msg.want
        return
      case 'keyhold:metrics-collect':
        void this.#collect(msg.id)
        return
      case 'keyhold:metrics-result': {
        const p = this.#pending.get(msg.id)
        if (!p) return
        this.#pending.delete(msg.id)
        clearTimeout(p.timer)
        p.resolve(msg.text)
        return
      }
    }
  }

  /** flush sends everything queued now (before exiting). Throws nothing. */
  flush(): void {
    this.#flush()
  }

  async #collect(id: number): Promise<void> {
    const metrics = this.#metrics ? await this.#metrics.registry.getMetricsAsJSON() : []
    this.#send({ t: 'keyhold:metrics-part', id, metrics })
  }

  #queueFlush(): void {
    if (this.#flushQueued) return
    this.#flushQueued = true
    setImmediate(() => this.#flush())
  }

  #flush(): void {
    this.#flushQueued = false
    if (this.#events.length > 0) {
      this.#send({ t: 'keyhold:audit', events: this.#events })
      this.#events = []
    }
    for (const channel of ['audit', 'error'] as const) {
      if (this.#lines[channel].length === 0) continue
      this.#send({ t: 'keyhold:lines', channel, lines: this.#lines[channel] })
      this.#lines[channel] = []
    }
  }
}

/**
 * installWorkerLink sets up this cluster worker's link to the primary and returns it. Throws
 * when the process has no IPC channel (it is not a cluster worker).
 */
export function installWorkerLink(): WorkerLink {
  const send = process.send?.bind(process)
  if (!send) throw new Error('installWorkerLink: not a cluster worker (no IPC channel)')
  const link = new WorkerLink((msg) => {
    // A worker whose primary is gone cannot send; the primary's death ends the worker anyway.
    if (process.connected) send(msg)
  })
  process.on('message', (msg: unknown) => {
    if (isKeyholdMessage(msg)) link.handle(msg as PrimaryMessage)
  })
  setObservabilityHooks(link)
  return link
}
