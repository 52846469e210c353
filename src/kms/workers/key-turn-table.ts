/**
 * The primary's side of key turns across workers (src/kms/keystore/key-turns.ts): one queue per
 * key name, whose head holds the turn. A worker that exits gives up its turns and its place in
 * every queue, so a crash in the middle of a rotation never blocks the key.
 *
 * @module
 */

interface Request {
  workerId: number
  id: number
  give: () => void
}

/** KeyTurnTable hands out turns on key names to workers, first come first served. Throws nothing. */
export class KeyTurnTable {
  readonly #queues = new Map<string, Request[]>()

  /** take queues worker `workerId`'s request `id` for `name`; `give` is called when the turn is its. */
  take(workerId: number, id: number, name: string, give: () => void): void {
    const queue = this.#queues.get(name)
    if (queue === undefined) {
      this.#queues.set(name, [{ workerId, id, give }])
      give()
      return
    }
    queue.push({ workerId, id, give })
  }

  /** end ends (or withdraws) worker `workerId`'s request `id`, giving the turn to the next in line. */
  end(workerId: number, id: number): void {
    for (const [name, queue] of this.#queues) {
      const at = queue.findIndex((r) => r.workerId === workerId && r.id === id)
      if (at >= 0) return this.#remove(name, queue, (_r, i) => i === at)
    }
  }

  /** gone drops every request of an exited worker. */
  gone(workerId: number): void {
    for (const [name, queue] of [...this.#queues]) this.#remove(name, queue, (r) => r.workerId === workerId)
  }

  /** How many names have a turn taken or asked for (for tests and leak checks). */
  get size(): number {
    return this.#queues.size
  }

  #remove(name: string, queue: Request[], drop: (r: Request, index: number) => boolean): void {
    const head = queue[0]
    const kept = queue.filter((r, i) => !drop(r, i))
    if (kept.length === 0) {
      this.#queues.delete(name)
      return
    }
    this.#queues.set(name, kept)
    if (kept[0] !== head) kept[0]!.give()
  }
}
