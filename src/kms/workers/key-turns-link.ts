/**
 * The worker's side of key turns across workers (src/kms/keystore/key-turns.ts): before a
 * rotation or deletion of a key runs here, the primary must give this worker the key's turn
 * (key-turn-table.ts), so that no other worker rotates or deletes the same key meanwhile. Within
 * the worker, turns queue locally first: the primary sees at most one request per key per worker.
 *
 * @module
 */
import { LocalKeyTurns, type KeyTurns } from '../keystore/key-turns.js'
import type { PrimaryMessage, WorkerMessage } from './messages.js'

/** WorkerKeyTurns: the key turns of one cluster worker. */
export class WorkerKeyTurns implements KeyTurns {
  /** Sends to the primary; false when it cannot be reached. */
  readonly #send: (msg: WorkerMessage) => boolean
  readonly #local = new LocalKeyTurns()
  readonly #waiting = new Map<number, () => void>()
  #nextId = 1

  /** Sends with `send`, which returns false when the primary is gone. */
  constructor(send: (msg: WorkerMessage) => boolean) {
    this.#send = send
  }

  /**
   * run: see {@link KeyTurns.run}. Throws what `fn` throws, or Error when the primary is gone
   * (without it no turn can be had, and the worker is stopping anyway).
   */
  run<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return this.#local.run(name, async () => {
      const id = this.#nextId++
      const given = new Promise<void>((resolve) => this.#waiting.set(id, resolve))
      if (!this.#send({ t: 'keyhold:turn-take', id, name })) {
        this.#waiting.delete(id)
        throw new Error('the cluster primary is gone: no turn for the key')
      }
      await given
      try {
        return await fn()
      } finally {
        this.#send({ t: 'keyhold:turn-end', id })
      }
    })
  }

  /** handle processes the turn messages among the primary's; others are ignored. Throws nothing. */
  handle(msg: PrimaryMessage): void {
    if (msg.t !== 'keyhold:turn-given') return
    this.#waiting.get(msg.id)?.()
    this.#waiting.delete(msg.id)
  }
}
