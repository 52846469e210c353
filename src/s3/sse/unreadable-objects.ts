/**
 * UnreadableObjects: the objects a listing met whose encryption metadata cannot be parsed (written before
 * keyhold-s3 checked KMS answers, or changed on disk). A listing shows them rather than failing its whole bucket,
 * and says so in the log once per object, not once per listing.
 *
 * @module
 */
import type { MessageLog } from '../../lib/logger.js'

/** How many objects are remembered as reported; beyond it they are forgotten all at once and reported anew. */
const MAX_REPORTED = 10_000

/** UnreadableObjects logs each unreadable object once (at warn). Methods throw nothing. */
export class UnreadableObjects {
  readonly #reported = new Set<string>()

  constructor(private readonly log: MessageLog | undefined) {}

  /** report logs that `bucket/key` has unreadable metadata; `problem` names a field, never a value. */
  report(bucket: string, key: string, problem: string): void {
    const id = `${bucket}/${key}`
    if (this.#reported.has(id)) return
    if (this.#reported.size >= MAX_REPORTED) this.#reported.clear()
    this.#reported.add(id)
    this.log?.warn(`object ${JSON.stringify(id)} has unreadable encryption metadata (${problem}): listed with its stored ETag, reads of it fail`)
  }
}
