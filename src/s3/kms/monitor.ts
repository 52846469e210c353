/**
 * KmsMonitor: what keyhold-s3 knows about its KMS from the calls it makes. It counts requests, errors and
 * latencies for the metrics, and tracks reachability so that the error log says once when the KMS becomes
 * unreachable (with the endpoints and the cause) and once when it is back, never once per request. A KMS that
 * flaps (alternating answers and failures) gets at most one outage line per {@link OUTAGE_LOG_INTERVAL_MS}.
 *
 * @module
 */
import { KesConnectionError, KesError } from '../../kes-client/index.js'
import { silentMessageLog, type MessageLog } from '../../lib/logger.js'

/**
 * The least time between two "KMS is unreachable" lines. An outage that starts sooner is not logged, nor is its
 * end; the next outage line counts them. One that lasts is logged by the first failure after the interval.
 */
export const OUTAGE_LOG_INTERVAL_MS = 10_000

/** Upper bounds (seconds) of the KMS latency histogram buckets. */
export const KMS_LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const

/** A snapshot of the KMS counters, for the metrics endpoint and `admin info`. */
export interface KmsStats {
  online: boolean
  /** Successful calls, calls the KMS answered with an error (4xx), calls that got no usable answer. */
  success: number
  error: number
  failure: number
  /** Cumulative latency histogram: counts per {@link KMS_LATENCY_BUCKETS} bound, then sum and count. */
  latency: { buckets: number[]; sum: number; count: number }
  /** When the KMS was last seen reachable or unreachable (epoch ms), 0 when never. */
  since: number
  /** The last unreachability cause (endpoint and reason; never a key), undefined while online. */
  lastCause?: string
}

/**
 * isUnreachable tells whether a KES client failure means the KMS could not be reached (no endpoint answered,
 * or every endpoint answered 5xx), as opposed to the KMS refusing the request. Throws nothing.
 */
export function isUnreachable(err: unknown): boolean {
  if (err instanceof KesConnectionError) return true
  return err instanceof KesError && err.status >= 500 && err.status !== 501
}

/** KmsMonitor counts KMS calls and logs reachability changes. Methods never throw. */
export class KmsMonitor {
  #online = true
  #since = Date.now()
  #cause: string | undefined
  #success = 0
  #error = 0
  #failure = 0
  readonly #buckets: number[] = KMS_LATENCY_BUCKETS.map(() => 0)
  #sum = 0
  #count = 0
  readonly #latencyListeners = new Set<(seconds: number) => void>()
  /** Whether the current outage was logged (its end is logged only then). */
  #outageLogged = false
  /** When the last outage line was written (performance.now ms). */
  #lastOutageLine = -Infinity
  /** Reachability changes not logged since the last outage line. */
  #unlogged = 0

  constructor(private readonly log: MessageLog = silentMessageLog) {}

  /** online tells whether the last call reached the KMS. */
  get online(): boolean {
    return this.#online
  }

  /** onLatency calls `listener` with the duration (seconds) of every KMS call from now on; returns its remover. */
  onLatency(listener: (seconds: number) => void): () => void {
    this.#latencyListeners.add(listener)
    return () => this.#latencyListeners.delete(listener)
  }

  /** observe records one call: its duration and its outcome (undefined for success). */
  observe(startedMs: number, err?: unknown): void {
    const seconds = Math.max(0, (performance.now() - startedMs) / 1000)
    this.#sum += seconds
    this.#count++
    KMS_LATENCY_BUCKETS.forEach((bound, i) => {
      if (seconds <= bound) this.#buckets[i]!++
    })
    for (const listener of this.#latencyListeners) listener(seconds)
    if (err === undefined) {
      this.#success++
      this.reachable()
    } else if (isUnreachable(err)) {
      this.#failure++
      this.unreachable(err)
    } else {
      // The KMS answered (e.g. 403, 404): it is reachable, the request was refused.
      this.#error++
      this.reachable()
    }
  }

  /** reachable records that the KMS answered; logs once when it was unreachable before and that outage was logged. */
  reachable(): void {
    if (this.#online) return
    this.#online = true
    this.#since = Date.now()
    this.#cause = undefined
    if (!this.#outageLogged) {
      this.#unlogged++
      return
    }
    this.#outageLogged = false
    this.log.info('KMS is reachable again')
  }

  /**
   * unreachable records that no KMS endpoint answered; logs once per outage, with the endpoints and cause, and
   * at most once per {@link OUTAGE_LOG_INTERVAL_MS}.
   */
  unreachable(err: unknown): void {
    const cause = err instanceof Error ? err.message : String(err)
    this.#cause = cause
    if (this.#online) {
      this.#online = false
      this.#since = Date.now()
      this.#unlogged++
    }
    if (this.#outageLogged) return
    const now = performance.now()
    if (now - this.#lastOutageLine < OUTAGE_LOG_INTERVAL_MS) return
    // This outage's own start is in the count; the others came and went unlogged.
    const earlier = this.#unlogged - 1
    this.#unlogged = 0
    this.#lastOutageLine = now
    this.#outageLogged = true
    this.log.warn(`KMS is unreachable: ${cause}${earlier > 0 ? ` (${earlier} reachability changes not logged since the last report)` : ''}`)
  }

  /** stats returns a snapshot of the counters. */
  stats(): KmsStats {
    return {
      online: this.#online, success: this.#success, error: this.#error, failure: this.#failure,
      latency: { buckets: [...this.#buckets], sum: this.#sum, count: this.#count },
      since: this.#since, lastCause: this.#cause,
    }
  }
}
