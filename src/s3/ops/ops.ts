/**
 * The operator's side of a keyhold-s3 server, in front of the S3 and admin routes: MinIO's health checks and
 * metrics, the access log and request metrics of every other request, the in-flight count a graceful stop
 * waits on, and `Connection: close` while stopping.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { CredentialProvider, Authorizer } from '../extensions.js'
import type { Kms } from '../kms/kms.js'
import { accessLogLine } from './access-log.js'
import { handleHealth, HEALTH_PREFIX } from './health.js'
import { InflightRequests } from './inflight.js'
import { handleMetrics, METRICS_PREFIX } from './metrics-route.js'
import { ServerMetrics, type BucketUsage } from './metrics.js'
import { noteRequest, requestInfo } from './request-info.js'

/** What {@link ServerOps} needs to know. */
export interface OpsOptions {
  kms?: Kms
  credentials: CredentialProvider
  authorizer: Authorizer
  usage: () => BucketUsage[]
  /** MINIO_PROMETHEUS_AUTH_TYPE=public: metrics without a bearer token. */
  publicMetrics?: boolean
  /** Access log sink (one JSON line per request); none when undefined. */
  accessLog?: (line: string) => void
}

/** ServerOps serves the ops routes and tracks every other request. */
export class ServerOps {
  readonly inflight = new InflightRequests()
  readonly metrics: ServerMetrics
  #stopping = false

  constructor(private readonly options: OpsOptions) {
    this.metrics = new ServerMetrics({ kms: options.kms, inflight: () => this.inflight.count, usage: options.usage })
  }

  /** stopping tells whether a graceful stop began. */
  get stopping(): boolean {
    return this.#stopping
  }

  /** beginStop marks the server as stopping: readiness answers 503, responses close their connection. */
  beginStop(): void {
    this.#stopping = true
  }

  /**
   * serve answers the ops routes itself, and hands every other request to `next`, counted in flight until its
   * handler settles and its response closes. Never throws.
   */
  serve(req: IncomingMessage, res: ServerResponse, next: () => Promise<unknown> | void): void {
    if (this.#stopping) res.setHeader('connection', 'close')
    const url = req.url ?? '/'
    if (url.startsWith(METRICS_PREFIX)) {
      noteRequest(res, { api: 'metrics' })
      const handled = handleMetrics(this.metrics, this.options, req, res)
      this.inflight.track(res, handled.then((done) => (done ? undefined : next())))
      return
    }
    if (url.startsWith(HEALTH_PREFIX)) {
      noteRequest(res, { api: 'health' })
      const handled = handleHealth({ kms: this.options.kms, stopping: () => this.#stopping }, req, res)
      this.inflight.track(res, handled.then((done) => (done ? undefined : next())))
      return
    }
    this.observe(req, res)
    let handler: Promise<unknown> | void = undefined
    try {
      handler = next()
    } finally {
      this.inflight.track(res, handler instanceof Promise ? handler : undefined)
    }
  }

  /** observe feeds the request metrics and the access log once the response closes. */
  private observe(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now()
    const socket = req.socket
    const rx0 = socket.bytesRead
    const tx0 = socket.bytesWritten
    let ttfb: number | undefined
    const writeHead = res.writeHead
    // Node's implicit headers go through writeHead too, so this sees every response's first byte.
    res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
      ttfb ??= performance.now() - started
      return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args)
    } as typeof res.writeHead
    res.once('close', () => {
      const info = requestInfo(res)
      const minio = req.url?.startsWith('/minio/') === true
      // An S3 request refused before its operation was known (a bad signature) still counts, as `unknown`.
      const api = info.api ?? (minio ? undefined : 'unknown')
      const status = res.headersSent ? res.statusCode : 0
      // The socket may have read a small request whole before it was dispatched, so a read body counts its
      // declared length; a body cut short counts what the socket read meanwhile.
      const declared = Number(req.headers['content-length'])
      const rx = req.complete && Number.isFinite(declared) ? declared : Math.max(0, socket.bytesRead - rx0)
      const tx = Math.max(0, socket.bytesWritten - tx0)
      if (api !== undefined) this.metrics.observe({ api, status, rx, tx, ttfb: ttfb === undefined ? undefined : ttfb / 1000 })
      this.options.accessLog?.(accessLogLine({
        time: new Date().toISOString(), api: api ?? 'admin',
        method: req.method ?? '', bucket: info.bucket, object: info.object, status, rx, tx,
        durationMs: Math.round(performance.now() - started), ttfbMs: ttfb === undefined ? undefined : Math.round(ttfb),
        accessKey: info.accessKey, remoteAddress: socket.remoteAddress, requestId: info.requestId ?? (res.getHeader('x-amz-request-id') as string | undefined),
      }))
    })
  }
}
