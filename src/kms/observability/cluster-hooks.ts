/**
 * The hooks through which a cluster worker shares its observability with the primary: audit events
 * go to the primary's single writer (one hash chain, one file), metrics scrapes are answered with the
 * sum over all workers, and live log streams see every worker's events.
 *
 * workers/ makes them (worker-link.ts) and hands them to the server's start; createKmsObservability
 * wires them in. Outside a cluster there are none and everything stays local.
 *
 * @module
 */
import type { AuditWriter } from './audit-log.js'
import type { LogHub } from './log-hub.js'
import type { KmsMetrics } from './metrics.js'

/** The live log channels. */
export type LogChannel = 'audit' | 'error'

/** ObservabilityHooks: what workers/ hands a worker's server start. */
export interface ObservabilityHooks {
  /** The writer replacing the configured audit target (the primary writes it). */
  auditWriter(): AuditWriter
  /** Called for each hub created in this process. */
  registerHub(channel: LogChannel, hub: LogHub): void
  /** Called for each metrics set created in this process. */
  registerMetrics(metrics: KmsMetrics): void
  /** Renders the cluster-wide metrics text. Throws when the primary does not answer. */
  renderMetrics(): Promise<string>
}
