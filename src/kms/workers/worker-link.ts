/**
 * The worker side of the cluster: the observability hooks that send audit events to
 * the primary, relay live log lines between workers and aggregate metrics scrapes.
 *
 * Messages are batched over {@link FLUSH_MS}, so a busy worker sends one IPC message per
 * interval, not one per request, and the audit events of a batch travel as one string. Live log lines are
 * tapped from the hubs only while some worker has a follower.
 *
 * @module
 */
import type { AuditWriter } from '../observability/audit-log.js'
import type { LogHub } from '../observability/log-hub.js'
import type { KmsMetrics } from '../observability/metrics.js'
import type { LogChannel, ObservabilityHooks } from '../observability/cluster-hooks.js'
import type { CachePeers } from '../keystore/peers.js'
import type { KeyTurns } from '../keystore/key-turns.js'
import { WorkerCachePeers } from './key-peers-link.js'
import { WorkerKeyTurns } from './key-turns-link.js'
import { isKeyholdMessage, type PrimaryMessage, type WorkerMessage } from './messages.js'

/**
 * How long events and lines wait to be sent. The primary's cost is mostly per message (a pipe
 * read, a wake-up, a file write), so one message per interval rather than per event-loop turn
 * took it from ~0.07 to ~0.02-0.04 ms per request. Worker exits flush first (see worker.ts).
 */
const FLUSH_MS = 10
/** A batch this large goes out at once: bounds a message's size and the worker's queue. */
const MAX_BATCH = 1000

/** How long a metrics scrape waits for the primary before failing. */
const METRICS_TIMEOUT_MS = 5000

type Send = (msg: WorkerMessage) => void

/** WorkerLink connects this worker's observability to the primary. */
export class WorkerLink implements ObservabilityHooks {
  readonly #send: Send
  readonly #hubs: Record<LogChannel, LogHub[]> = { audit: [], error: [] }
  readonly #want: Record<LogChannel, boolean> = { audit: false, error: false }
  readonly #lines: Record<LogChannel, string[]> = { audit: [], error: [] }
  #events: string[] = []
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
      write: (jsonLines) => {
        this.#events.push(jsonLines)
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
    if (this.#want[channel]) hub.setTap(this.#tap(channel))
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
      case 'keyhold:want': {
        this.#want[msg.channel] = msg.want
        // Without a tap a hub nobody follows does not even serialise its events.
        const tap = msg.want ? this.#tap(msg.channel) : undefined
        for (const hub of this.#hubs[msg.channel]) hub.setTap(tap)
        return
      }
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

  #tap(channel: LogChannel): (line: string) => void {
    return (line) => {
      this.#lines[channel].push(line)
      this.#queueFlush()
    }
  }

  #queueFlush(): void {
    if (this.#events.length >= MAX_BATCH) return this.#flush()
    if (this.#flushQueued) return
    this.#flushQueued = true
    setTimeout(() => this.#flush(), FLUSH_MS).unref()
  }

  #flush(): void {
    this.#flushQueued = false
    if (this.#events.length > 0) {
      this.#send({ t: 'keyhold:audit', json: this.#events.join('\n') })
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
 * installWorkerLink sets up this cluster worker's link to the primary and returns what the server
 * start wires in: the observability hooks, the key caches' peers and the key turns. Throws when
 * the process has no IPC channel (it is not a cluster worker).
 */
export function installWorkerLink(): { link: WorkerLink; peers: CachePeers; turns: KeyTurns } {
  const send = process.send?.bind(process)
  if (!send) throw new Error('installWorkerLink: not a cluster worker (no IPC channel)')
  const link = new WorkerLink((msg) => {
    // A worker whose primary is gone cannot send; the primary's death ends the worker anyway.
    if (process.connected) send(msg)
  })
  const peers = new WorkerCachePeers(
    (msg) => {
      if (process.connected) send(msg)
    },
    (line) => process.stderr.write(`${line}\n`),
  )
  const turns = new WorkerKeyTurns((msg) => process.connected && send(msg))
  process.on('message', (msg: unknown) => {
    if (!isKeyholdMessage(msg)) return
    link.handle(msg as PrimaryMessage)
    peers.handle(msg as PrimaryMessage)
    turns.handle(msg as PrimaryMessage)
  })
  return { link, peers, turns }
}
