/**
 * The writes of pooled buffers handed to a response and not yet called back: the backpressure of the GET
 * path (range-writer.ts), and the moment each buffer may go back to the pool.
 *
 * @module
 */
import type { Writable } from 'node:stream'
import { giveSpare } from '../api/buffer-pool.js'

/** Buffers handed to the response and not yet called back (2 MiB with 512 KiB buffers). */
const IN_FLIGHT = 4

/** The connection ended before the range was written. */
export class ResponseClosedError extends Error {
  constructor() {
    super('the response closed before the object was written')
    this.name = 'ResponseClosedError'
  }
}

/** InFlightWrites tracks the writes handed to `out` whose callbacks have not come yet, oldest first. */
export class InFlightWrites {
  private readonly pending: Array<{ spare: ArrayBuffer; done: Promise<void> }> = []
  private readonly closed: Promise<never>

  constructor(private readonly out: Writable) {
    // A response that closes (client gone) may never call back its writes: waiting ends there too.
    this.closed = new Promise((_, reject) => {
      const fail = (): void => reject(new ResponseClosedError())
      if (out.destroyed) fail()
      else out.once('close', fail)
    })
    this.closed.catch(() => undefined)
  }

  /** write hands `chunk` (a view of the pooled `spare`) to the response. Never throws. */
  write(spare: ArrayBuffer, chunk: Buffer): void {
    const done = new Promise<void>((resolve, reject) => {
      this.out.write(chunk, (err) => (err ? reject(err) : resolve()))
    })
    done.catch(() => undefined)
    this.pending.push({ spare, done })
  }

  /** room waits until fewer than IN_FLIGHT writes are pending, returning the written buffers to the pool. */
  async room(): Promise<void> {
    while (this.pending.length >= IN_FLIGHT) await this.settleOldest()
  }

  /** drain waits for every pending write. Throws the first write error or ResponseClosedError. */
  async drain(): Promise<void> {
    while (this.pending.length > 0) await this.settleOldest()
  }

  /**
   * abandonPending forgets writes that never called back (the response failed): their buffers may still be
   * referenced by the socket layer, so they go to the garbage collector, never back to the pool.
   */
  abandonPending(): void {
    this.pending.length = 0
  }

  private async settleOldest(): Promise<void> {
    const oldest = this.pending[0]!
    await Promise.race([oldest.done, this.closed])
    this.pending.shift()
    giveSpare(oldest.spare)
  }
}
