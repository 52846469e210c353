/**
 * Process-wide hooks through which a cluster worker shares its observability with the primary:
 * audit events go to the primary's single writer (one hash chain, one file), metrics scrapes are
 * answered with the sum over all workers, and live log streams see every worker's events.
 *
 * A worker process hosts exactly one server, so one hook set per process is enough. Outside a
 * cluster no hooks are set and everything stays local.
 *
 * @module
 */
import type { AuditWriter } from './audit-log.js'
import type { LogHub } from './log-hub.js'
import type { KmsMetrics } from './metrics.js'

/** The live log channels. */
export type LogChannel = 'audit' | 'error'

/** ObservabilityHooks: what src/workers installs in a worker. */
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

let hooks: ObservabilityHooks | undefined

/** setObservabilityHooks installs (or with undefined, removes) the process's hooks. */
export function setObservabilityHooks(h: ObservabilityHooks | undefined): void {
  hooks = h
}

/** observabilityHooks returns the installed hooks, if any. */
export function observabilityHooks(): ObservabilityHooks | undefined {
  return hooks
}
