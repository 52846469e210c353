/**
 * The observability of one KMS server, assembled from the config: the error logger (stderr +
 * `/v1/log/error`), the audit log (stdout or a chained file + `/v1/log/audit`), the metrics
 * (`/v1/metrics`), and the wrappers that feed them. {@link KmsObservability.serverOptions}
 * plugs it all into `startKmsServer`.
 *
 * Audit runs before routing, so unknown paths and redirects are audited too; metrics run per
 * route and count only the routes KES counts (key, policy, identity).
 *
 * @module
 */
import type { Middleware } from '../api/http-types.js'
import type { ApiHandler, Route } from '../api/route.js'
import type { ExtraHandlers } from '../routes.js'
import type { KeyState } from '../keystore/key-state.js'
import type { ServerConfig } from '../config/types.js'
import { AuditLog, openAuditWriter } from './audit-log.js'
import type { AuditRecord } from './audit-record.js'
import type { AuditTarget } from './audit-target.js'
import type { ObservabilityHooks } from './cluster-hooks.js'
import { ErrorLogOutput, type LineSink } from './error-stream.js'
import { streamLog } from './log-hub.js'
import { createLogger, type Logger } from './logger.js'
import { keystoreObserver, type KeystoreObserver } from './keystore-metrics.js'
import { KmsMetrics, METRICS_CONTENT_TYPE } from './metrics.js'
import { observe } from './observe.js'

/** auditTargetOf reads the audit target from a validated config. Throws nothing. */
export function auditTargetOf(config: Pick<ServerConfig, 'log'>): AuditTarget {
  if (config.log.auditFile !== undefined) return { kind: 'file', path: config.log.auditFile }
  return config.log.audit === 'debug' || config.log.audit === 'info' ? { kind: 'stdout' } : { kind: 'off' }
}

/** Options of {@link createKmsObservability}. */
export interface KmsObservabilityOptions {
  /** Where error lines go besides the stream (default stderr). */
  errorSink?: LineSink
  /** Overrides the audit target of the config (tests). */
  audit?: AuditTarget
  /** CPUs this process uses, for kes_system_num_cpu_used (default 1). */
  cpusUsed?: number
  /**
   * In a cluster worker, the link to the primary (from workers/): audit events go to its writer
   * (unless the audit log is off), the live streams and metrics scrapes span every worker.
   */
  cluster?: ObservabilityHooks
}

/** KmsObservability: the logs and metrics of one server. */
export interface KmsObservability {
  readonly log: Logger
  readonly metrics: KmsMetrics
  readonly audit: AuditLog
  readonly errors: ErrorLogOutput
  /** What `startKmsServer` takes: `log`, `wrappers`, `requestWrappers`, `extraHandlers`, `keystoreObserver`. */
  serverOptions(): {
    log: Logger
    keystoreObserver: KeystoreObserver
    wrappers: (route: Route) => Middleware[]
    requestWrappers: Middleware[]
    extraHandlers: ExtraHandlers
    audit: (record: AuditRecord) => void
    onKeyPurged: (name: string, state: KeyState) => void
  }
  /** Ends the live log streams (`/v1/log/*`): a stopping server must not wait for them. Throws nothing. */
  endStreams(): void
  /** Flushes and closes the audit writer. Idempotent; throws nothing. */
  close(): Promise<void>
}

/**
 * createKmsObservability builds the observability for `config`. Throws AuditFileError when the
 * audit file cannot be opened or its chain cannot be continued.
 */
export async function createKmsObservability(config: Pick<ServerConfig, 'log'>, options: KmsObservabilityOptions = {}): Promise<KmsObservability> {
  const metrics = new KmsMetrics({ cpusUsed: options.cpusUsed ?? 1 })
  const errors = new ErrorLogOutput(options.errorSink)
  errors.onEvent(() => metrics.errorEvent())
  const log = createLogger(config.log.error, errors)
  const { cluster } = options
  const target = options.audit ?? auditTargetOf(config)
  // A failing audit file is an error of the server: in the error log, its stream and kes_log_error_events.
  const writer = cluster !== undefined && target.kind !== 'off' ? cluster.auditWriter() : await openAuditWriter(target, (m, ended) => (ended ? log.warn(m) : log.error(m)))
  const audit = new AuditLog({ writer, onEvent: () => metrics.auditEvent() })
  cluster?.registerMetrics(metrics)
  cluster?.registerHub('error', errors.hub)
  cluster?.registerHub('audit', audit.hub)

  const measure = observe(metrics, audit, { metrics: true, audit: false })
  const record = observe(metrics, audit, { metrics: false, audit: true })
  const metricsHandler: ApiHandler = async (req, res) => {
    let text: string
    try {
      text = cluster !== undefined ? await cluster.renderMetrics() : await metrics.render()
    } catch (err) {
      // A cluster primary that does not answer: this worker's own numbers beat an error.
      req.log.warn({ err: (err as Error).message }, 'cluster metrics unavailable: serving this worker only')
      text = await metrics.render()
    }
    res.statusCode = 200
    res.setHeader('Content-Type', METRICS_CONTENT_TYPE)
    res.end(text)
  }
  return {
    log,
    metrics,
    audit,
    errors,
    serverOptions: () => ({
      log,
      keystoreObserver: keystoreObserver(metrics),
      wrappers: (route) => (route.metrics ? [measure] : []),
      requestWrappers: [record],
      extraHandlers: {
        metrics: metricsHandler,
        logAudit: (req, res) => streamLog(audit.hub, req.raw, res),
        logError: (req, res) => streamLog(errors.hub, req.raw, res),
      },
      audit: (record) => audit.record(record),
      // A purge is no request, but it deletes a key: audited as the DELETE it completes, by the server.
      onKeyPurged: (name, state) =>
        audit.record({
          time: new Date(), method: 'DELETE', path: `/v1/key/delete/${name}`, identity: '', ip: '', status: 200, responseMs: 0, decision: 'none',
          message: `secret key '${name}' purged: deletion scheduled by ${state.changedBy} at ${state.changedAt.toISOString()}`,
        }),
    }),
    endStreams: () => {
      audit.hub.endAll()
      errors.hub.endAll()
    },
    close: () => audit.close(),
  }
}
