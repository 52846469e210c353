/**
 * The worker's side of key invalidation across workers: the {@link CachePeers} of a cluster
 * worker. An announcement goes to the primary, which makes every other worker drop the key and
 * answers once they did (key-fanout.ts); a key-drop from the primary is applied to this
 * worker's caches and acknowledged.
 *
 * @module
 */
import type { CachePeers } from '../keystore/peers.js'
import type { PrimaryMessage, WorkerMessage } from './messages.js'

/**
 * How long an announcement waits for the primary: longer than the primary's acknowledgement
 * time-out plus the wait for a killed worker, so it expires only when the primary itself hangs.
 */
const ANNOUNCE_TIMEOUT_MS = 10_000

/** WorkerCachePeers: the cache peers of one cluster worker. Throws nothing. */
export class WorkerCachePeers implements CachePeers {
  readonly #send: (msg: WorkerMessage) => void
  readonly #log: (line: string) => void
  readonly #listeners = new Set<(name: string) => void>()
  readonly #pending = new Map<number, () => void>()
  #nextId = 1

  /** Sends with `send` (to the primary); reports a primary that does not answer with `log`. */
  constructor(send: (msg: WorkerMessage) => void, log: (line: string) => void) {
    this.#send = send
    this.#log = log
  }

  /** announce resolves once the primary confirms every other worker dropped `name`, or after a time-out (logged). */
  announce(name: string): Promise<void> {
    const id = this.#nextId++
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id)
        // The change is in the keystore; failing the request would only invite a retry that cannot help.
        this.#log(`keyhold: the cluster primary did not confirm that every worker dropped key '${name}' from its cache`)
        resolve()
      }, ANNOUNCE_TIMEOUT_MS)
      timer.unref()
      this.#pending.set(id, () => {
        clearTimeout(timer)
        resolve()
      })
      this.#send({ t: 'keyhold:key-changed', id, name })
    })
  }

  /** listen registers a cache's invalidation. */
  listen(invalidate: (name: string) => void): () => void {
    this.#listeners.add(invalidate)
    return () => this.#listeners.delete(invalidate)
  }

  /** handle processes the key messages among the primary's; others are ignored. */
  handle(msg: PrimaryMessage): void {
    switch (msg.t) {
      case 'keyhold:key-drop':
        for (const invalidate of this.#listeners) invalidate(msg.name)
        this.#send({ t: 'keyhold:key-dropped', id: msg.id })
        return
      case 'keyhold:key-announced':
        this.#pending.get(msg.id)?.()
        this.#pending.delete(msg.id)
        return
    }
  }
}
