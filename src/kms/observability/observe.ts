/**
 * The request wrappers: metrics and audit, outermost in the route pipeline
 * (metrics → audit → auth → handler), so denials and errors are measured and audited too.
 *
 * Both act when the response closes, on what the rest of the pipeline left in `res.locals`
 * (see {@link RequestAuditInfo}); they never read request or response bodies.
 *
 * @module
 */
import { onClose, type KesRequest, type KesResponse, type Next } from '../api/http-types.js'
import type { AuditDecision } from './audit-record.js'
import type { AuditLog } from './audit-log.js'
import type { KmsMetrics } from './metrics.js'

/**
 * RequestAuditInfo is what the auth step and handlers leave on `res.locals` for the audit log.
 * All fields are optional: a request rejected before authentication has none of them.
 */
export interface RequestAuditInfo {
  /** The caller's identity, once computed. */
  identity?: string
  /** The authorisation outcome. */
  decision?: AuditDecision
  /** The policy that allowed or denied. */
  policy?: string
  /** A short note for the audit log (e.g. "key 'k' created"): never secrets. */
  auditMessage?: string
}

/** What a route asks of the wrapper. */
export interface ObserveOptions {
  /** Count in kes_http_* (KES counts key, policy and identity routes). */
  metrics: boolean
  /** Write an audit record (everything except what the operator chose to silence). */
  audit: boolean
}

/** clientIp returns the socket's peer address, with IPv4-mapped IPv6 unwrapped. Throws nothing. */
function clientIp(req: KesRequest): string {
  // An HTTP/2 request whose session is already gone has no socket (api/h2-exchange.ts).
  const ip = (req.socket as KesRequest['socket'] | undefined)?.remoteAddress ?? ''
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip
}

/**
 * requestPath is the decoded URL path (as KES audits it) without the query string; the raw path
 * when it does not decode. Unlike `req.path` it does not depend on where the middleware is mounted.
 */
function requestPath(req: KesRequest): string {
  const raw = req.originalUrl.split('?', 1)[0] ?? ''
  try {
    return decodeURIComponent(raw)
  } catch {
    return raw
  }
}

/**
 * observe returns the middleware that measures and audits one route's requests.
 * The middleware throws nothing and always calls `next()`.
 */
export function observe(metrics: KmsMetrics, audit: AuditLog, options: ObserveOptions) {
  return function observeRequest(req: KesRequest, res: KesResponse, next: Next): void {
    const time = new Date()
    const start = process.hrtime.bigint()
    const ended = options.metrics ? metrics.requestStarted() : undefined
    // Read now: on HTTP/2 a closed stream no longer reaches its session's socket (the address is gone).
    const ip = options.audit ? clientIp(req) : ''
    // 'close' fires for finished and aborted responses alike, exactly once.
    onClose(res, () => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6
      if (ended) {
        ended()
        metrics.observeResponse(res.statusCode, ms / 1000)
      }
      if (!options.audit) return
      const info = res.locals as RequestAuditInfo
      audit.record({
        time,
        method: req.method,
        // The dispatcher decoded the same path already (url is never rewritten on this pipeline).
        path: typeof res.locals.kesPath === 'string' ? res.locals.kesPath : requestPath(req),
        identity: info.identity ?? '',
        ip,
        status: res.statusCode,
        responseMs: ms,
        decision: info.decision ?? 'none',
        policy: info.policy,
        message: info.auditMessage,
      })
    })
    next()
  }
}
