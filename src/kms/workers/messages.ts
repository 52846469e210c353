/**
 * The IPC messages between the cluster primary and its workers. Every message carries a `t`
 * tag starting with `keyhold:`, so messages of other libraries on the same channel are ignored.
 *
 * @module
 */
import type { MetricObjectWithValues, MetricValue } from 'prom-client'

/** The live log channels relayed between workers. */
export type Channel = 'audit' | 'error'

/** Worker → primary messages. */
export type WorkerMessage =
  /** The worker's server listens. */
  | { t: 'keyhold:ready'; port: number }
  /** The worker's server could not start (a busy port, say): `message` is the one line to show. */
  | { t: 'keyhold:start-failed'; message: string }
  /**
   * Audit events for the primary's writer, in order: each serialised by `JSON.stringify`, joined
   * by '\n'. One string per message is cheaper to send and receive than an array of objects, and
   * the primary seals the text as it is.
   */
  | { t: 'keyhold:audit'; json: string }
  /** Log lines for the other workers' live streams. */
  | { t: 'keyhold:lines'; channel: Channel; lines: string[] }
  /** How many clients follow a channel on this worker. */
  | { t: 'keyhold:subs'; channel: Channel; count: number }
  /** A metrics scrape landed on this worker: aggregate all workers. */
  | { t: 'keyhold:metrics-request'; id: number }
  /** This worker's metrics, answering a primary's collect. */
  | { t: 'keyhold:metrics-part'; id: number; metrics: MetricObjectWithValues<MetricValue<string>>[] }
  /** Key `name` was created, imported or deleted here: make every other worker drop it, then answer `id`. */
  | { t: 'keyhold:key-changed'; id: number; name: string }
  /** This worker dropped the key of the primary's key-drop `id`. */
  | { t: 'keyhold:key-dropped'; id: number }
  /** Give this worker the turn on key `name` (key-turn-table.ts) as request `id`, once every earlier turn ended. */
  | { t: 'keyhold:turn-take'; id: number; name: string }
  /** This worker's turn `id` ended: give it to the next in line. */
  | { t: 'keyhold:turn-end'; id: number }
  /** A starting worker asks for the config text the running workers use (config-snapshot.ts). */
  | { t: 'keyhold:config-request' }

/** Primary → worker messages. */
export type PrimaryMessage =
  /** Lines from other workers for this worker's live streams. */
  | { t: 'keyhold:lines'; channel: Channel; lines: string[] }
  /** Whether any worker has followers of a channel (so lines are worth sending). */
  | { t: 'keyhold:want'; channel: Channel; want: boolean }
  /** Send your metrics for aggregation. */
  | { t: 'keyhold:metrics-collect'; id: number }
  /** The aggregated metrics text answering a metrics-request. */
  | { t: 'keyhold:metrics-result'; id: number; text: string }
  /** Drop key `name` from your cache (another worker changed it) and acknowledge `id`. */
  | { t: 'keyhold:key-drop'; id: number; name: string }
  /** Every other worker dropped the key of your key-changed `id` (or was restarted). */
  | { t: 'keyhold:key-announced'; id: number }
  /** The turn of your turn-take `id` is yours. */
  | { t: 'keyhold:turn-given'; id: number }
  /** The config text to start with; null: read the config file. */
  | { t: 'keyhold:config'; text: string | null }

/** isKeyholdMessage tells our messages from others on the IPC channel. Throws nothing. */
export function isKeyholdMessage(msg: unknown): msg is { t: string } {
  return typeof msg === 'object' && msg !== null && typeof (msg as { t?: unknown }).t === 'string' && (msg as { t: string }).t.startsWith('keyhold:')
}

/** The environment variable that tells a worker its slot (0 … workers-1), kept by its replacement. */
export const WORKER_SLOT_ENV = 'KEYHOLD_WORKER_SLOT'

/**
 * speaksForAll reports whether this process logs what every worker would log alike (a reload):
 * a single process, or the worker in slot 0. Throws nothing.
 */
export function speaksForAll(env: NodeJS.ProcessEnv = process.env): boolean {
  const slot = env[WORKER_SLOT_ENV]
  return slot === undefined || slot === '0'
}
