/**
 * The primary's side of key invalidation across workers: when a worker creates, imports or
 * deletes a key, every other worker must drop its cached copy before that worker answers
 * (see src/kms/keystore/peers.ts for why). The primary sends each live worker a key-drop and
 * waits for every acknowledgement. A worker that does not acknowledge in time cannot be
 * trusted to have dropped the key, so it is killed (the primary replaces it, with an empty
 * cache) and the announcement still completes: a stale worker is never left serving.
 *
 * @module
 */
import type { Worker } from 'node:cluster'
import type { PrimaryMessage } from './messages.js'

/** A worker that has not dropped the key by then is killed. */
const ACK_TIMEOUT_MS = 5_000
/** How long a killed worker may take to be gone before the announcement completes anyway. */
const EXIT_WAIT_MS = 2_000

/** Options of a {@link KeyFanout}. */
export interface KeyFanoutOptions {
  /** The live workers at the time of an announcement. */
  workers: () => Iterable<Worker>
  /** Where kills are reported. */
  log: (line: string) => void
  ackTimeoutMs?: number
}

interface Round {
  waiting: Map<number, Worker>
  done: () => void
}

/** KeyFanout runs key-drop rounds across the workers. Throws nothing. */
export class KeyFanout {
  readonly #options: KeyFanoutOptions
  readonly #rounds = new Map<number, Round>()
  /** Workers that listen: only they can hold keys fetched for requests, and only they are waited for. */
  readonly #serving = new Set<number>()
  #nextId = 1

  constructor(options: KeyFanoutOptions) {
    this.#options = options
  }

  /** serving records that a worker listens (its keyhold:ready). */
  serving(workerId: number): void {
    this.#serving.add(workerId)
  }

  /** gone forgets an exited worker: no round waits for it any more. */
  gone(workerId: number): void {
    this.#serving.delete(workerId)
    for (const round of this.#rounds.values()) if (round.waiting.delete(workerId) && round.waiting.size === 0) round.done()
  }

  /**
   * announce makes every worker but `origin` drop key `name`, and resolves once every serving
   * one acknowledged or was killed for not doing so in time.
   */
  async announce(origin: Worker, name: string): Promise<void> {
    const id = this.#nextId++
    const waiting = new Map<number, Worker>()
    for (const w of this.#options.workers()) {
      if (w === origin || !w.isConnected()) continue
      // A worker still starting has served nothing yet: it gets the message (queued until its
      // link listens) but is not waited for, so a slow start is not mistaken for a hang.
      if (this.#serving.has(w.id)) waiting.set(w.id, w)
      const msg: PrimaryMessage = { t: 'keyhold:key-drop', id, name }
      w.send(msg)
    }
    if (waiting.size === 0) return
    let timer: NodeJS.Timeout | undefined
    const acked = await new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), this.#options.ackTimeoutMs ?? ACK_TIMEOUT_MS)
      this.#rounds.set(id, { waiting, done: () => resolve(true) })
    })
    clearTimeout(timer)
    this.#rounds.delete(id)
    if (!acked) await Promise.all([...waiting.values()].map((w) => this.#kill(w)))
  }

  /** ack takes a worker's acknowledgement of round `id`. */
  ack(workerId: number, id: number): void {
    const round = this.#rounds.get(id)
    if (round?.waiting.delete(workerId) && round.waiting.size === 0) round.done()
  }

  #kill(w: Worker): Promise<void> {
    this.#options.log(`keyhold: worker ${w.process.pid} did not drop a changed key from its cache in time: restarting it`)
    return new Promise((resolve) => {
      if (w.isDead()) return resolve()
      const timer = setTimeout(resolve, EXIT_WAIT_MS)
      w.once('exit', () => {
        clearTimeout(timer)
        resolve()
      })
      w.process.kill('SIGKILL')
    })
  }
}
