/**
 * MinIO's health checks (`cmd/healthcheck-handler.go`), unauthenticated, GET or HEAD, no body on success:
 *
 * - `/minio/health/live`: 200 while the process serves requests (never contacts the KMS: a failing liveness
 *   probe restarts the pod).
 * - `/minio/health/ready`: 200 when the KMS, if one is configured, generates a data key (MinIO's
 *   `{"healthcheck": ""}` context); otherwise the KMS's error (503 ServiceUnavailable when unreachable). 503
 *   while the server is stopping, so load balancers drain it.
 * - `/minio/health/cluster` and `/cluster/read`: 200 with MinIO's quorum headers (one drive, quorum 1);
 *   `?maintenance=true` answers 412: taking the only node down loses the data's availability. 503 while stopping.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { S3Error } from '../api/errors.js'
import type { Kms } from '../kms/kms.js'
import { toKmsS3Error } from '../kms/kes-failure.js'
import { newRequestId } from '../api/context.js'
import { escapeXml } from '../api/xml.js'

/** HEALTH_PREFIX is where the health checks live. */
export const HEALTH_PREFIX = '/minio/health/'

/** What the health checks look at. */
export interface HealthState {
  kms?: Kms
  /** True once a graceful stop began. */
  stopping(): boolean
}

function answer(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-length': '0', ...headers })
  res.end()
}

function answerError(req: IncomingMessage, res: ServerResponse, e: S3Error): void {
  if (req.method === 'HEAD') return answer(res, e.status)
  const id = newRequestId()
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${escapeXml(e.code)}</Code><Message>${escapeXml(e.message)}</Message><Resource>${escapeXml(req.url ?? '')}</Resource><RequestId>${id}</RequestId><HostId>${id}</HostId></Error>`
  res.writeHead(e.status, { 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(body)), 'x-amz-request-id': id })
  res.end(body)
}

/**
 * handleHealth answers a request under {@link HEALTH_PREFIX}; resolves false when the path is none of the
 * checks (or the method is not GET/HEAD), leaving the request to the S3 router as MinIO's mux does. Never throws.
 */
export async function handleHealth(state: HealthState, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = req.url ?? '/'
  const qi = url.indexOf('?')
  const path = qi < 0 ? url : url.slice(0, qi)
  const query = new URLSearchParams(qi < 0 ? '' : url.slice(qi + 1))
  if (req.method !== 'GET' && req.method !== 'HEAD') return false
  const check = path.slice(HEALTH_PREFIX.length)
  if (check === 'live') {
    answer(res, 200)
  } else if (check === 'ready') {
    if (state.stopping()) {
      answer(res, 503, { 'x-minio-server-status': 'offline' })
    } else if (state.kms !== undefined) {
      try {
        await state.kms.generateKey('', { healthcheck: '' })
        answer(res, 200)
      } catch (err) {
        answerError(req, res, toKmsS3Error(err, 'generate'))
      }
    } else {
      answer(res, 200)
    }
  } else if (check === 'cluster' || check === 'cluster/read') {
    const headers: Record<string, string> = { 'x-minio-storage-class-defaults': 'true' }
    headers[check === 'cluster' ? 'x-minio-write-quorum' : 'x-minio-read-quorum'] = '1'
    if (state.stopping()) answer(res, 503, { 'x-minio-server-status': 'offline' })
    else if (query.get('maintenance') === 'true') answer(res, 412, headers)
    else answer(res, 200, headers)
  } else {
    return false
  }
  return true
}
