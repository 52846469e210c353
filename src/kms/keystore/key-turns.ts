/**
 * Turns: the operations on one key that must not overlap (docs/key-rotation.md, "How a rotation
 * runs"). A rotation replaces the key's name (a delete, then a create: keystores have no atomic
 * update); a deletion that ran in between was undone by the create, and the deleted key came back,
 * with every ciphertext sealed under it readable again. Rotations and deletions of one key
 * therefore take turns: in one process through {@link LocalKeyTurns}, and across the workers of
 * `keyhold server --workers N` through the cluster primary (src/kms/workers/key-turns-link.ts).
 *
 * @module
 */

/** KeyTurns serialises the operations on one key name. */
export interface KeyTurns {
  /**
   * run runs `fn` once every earlier turn on `name` (in every process sharing these turns) has
   * ended, and ends its own turn when `fn` settles. Throws what `fn` throws, or Error when the
   * turn cannot be had (a cluster worker whose primary is gone).
   */
  run<T>(name: string, fn: () => Promise<T>): Promise<T>
}

/** LocalKeyTurns: turns within this process. Throws only what the turns' functions throw. */
export class LocalKeyTurns implements KeyTurns {
  /** The last turn queued per key name: each turn starts when the one before it settled. */
  readonly #last = new Map<string, Promise<unknown>>()

  /** run: see {@link KeyTurns.run}. */
  async run<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const turn = (this.#last.get(name) ?? Promise.resolve()).then(fn, fn)
    const settled = turn.then(() => undefined, () => undefined)
    this.#last.set(name, settled)
    try {
      return await turn
    } finally {
      if (this.#last.get(name) === settled) this.#last.delete(name)
    }
  }
}
