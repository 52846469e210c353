/**
 * One keystore read per name at a time: callers asking for a name while a read of it is in flight join
 * that read. The key cache and the key-state cache both front the keystore this way.
 *
 * @module
 */

/** Loads joined per name; {@link SingleFlight.forget} detaches a load so its result counts as stale. */
export class SingleFlight<T> {
  /** The load of record per name; the object itself is the ticket `isCurrent` compares. */
  readonly #inflight = new Map<string, { promise?: Promise<T> }>()

  /**
   * run joins the load of `name` in flight or starts `load`. `isCurrent()` tells the load, once it has its
   * result, whether it is still the load of record: false after a forget (an invalidation overtook it), so a
   * value read before a delete or re-create is not put back into a cache. Rejects as `load` rejects.
   */
  run(name: string, load: (isCurrent: () => boolean) => Promise<T>): Promise<T> {
    const joined = this.#inflight.get(name)?.promise
    if (joined !== undefined) return joined
    // Registered before `load` starts, so `isCurrent` answers even when called synchronously.
    const entry: { promise?: Promise<T> } = {}
    this.#inflight.set(name, entry)
    const clear = (): void => {
      if (this.#inflight.get(name) === entry) this.#inflight.delete(name)
    }
    let promise: Promise<T>
    try {
      promise = load(() => this.#inflight.get(name) === entry)
    } catch (err) {
      clear()
      throw err
    }
    entry.promise = promise
    promise.then(clear, clear)
    return promise
  }

  /** forget detaches the load of `name` in flight (if any): the next run starts a new one. Never throws. */
  forget(name: string): void {
    this.#inflight.delete(name)
  }

  /** forgetAll detaches every load in flight. Never throws. */
  forgetAll(): void {
    this.#inflight.clear()
  }
}
