/**
 * MinIO's Prometheus endpoints: `/minio/v2/metrics/cluster` and `/minio/v2/metrics/node` (GET), guarded by
 * MinIO's bearer token ({@link verifyPrometheusToken}) and the `admin:Prometheus` action, or public with
 * MINIO_PROMETHEUS_AUTH_TYPE=public. A refusal is MinIO's 403 AccessDenied JSON.
 *
 * @module
 */
import { requestConditions } from '../api/conditions.js'
import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Authorizer, CredentialProvider, S3Action } from '../extensions.js'
import type { ServerMetrics } from './metrics.js'
import { verifyPrometheusToken } from './prometheus-token.js'

/** METRICS_PREFIX is where the metrics live. */
export const METRICS_PREFIX = '/minio/v2/metrics/'

/** How metrics requests are authorized. */
export interface MetricsAuth {
  credentials: CredentialProvider
  authorizer: Authorizer
  publicMetrics?: boolean
}

function deny(res: ServerResponse, path: string): void {
  const id = randomBytes(8).toString('hex').toUpperCase()
  const body = JSON.stringify({ Code: 'AccessDenied', Message: 'Access Denied.', Resource: path, RequestId: id, HostId: '' })
  res.writeHead(403, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'x-amz-request-id': id })
  res.end(body)
}

/**
 * handleMetrics answers a metrics request; resolves false for a path under {@link METRICS_PREFIX} that is no
 * metrics endpoint (the S3 router answers it). Never rejects.
 */
export async function handleMetrics(metrics: ServerMetrics, auth: MetricsAuth, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = req.url ?? '/'
  const qi = url.indexOf('?')
  const path = qi < 0 ? url : url.slice(0, qi)
  const which = path.slice(METRICS_PREFIX.length)
  if ((which !== 'cluster' && which !== 'node') || (req.method !== 'GET' && req.method !== 'HEAD')) return false
  try {
    if (auth.publicMetrics !== true) {
      const header = req.headers.authorization
      const credential = await verifyPrometheusToken(Array.isArray(header) ? header[0] : header, auth.credentials)
      const allowed = credential !== undefined &&
        await auth.authorizer.authorize({ principal: credential.principal, action: 'admin:Prometheus' as S3Action, conditions: requestConditions(req, credential.principal) })
      if (!allowed) {
        deny(res, path)
        return true
      }
    }
    const { contentType, body } = await metrics.render(which)
    res.writeHead(200, { 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)) })
    res.end(req.method === 'HEAD' ? undefined : body)
  } catch {
    // A credential lookup that failed (IAM not loaded): refuse rather than answer without authorization.
    if (!res.headersSent) deny(res, path)
    else res.destroy()
  }
  return true
}
