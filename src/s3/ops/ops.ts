/**
 * The operator's side of a keyhold-s3 server, in front of the S3 and admin routes: MinIO's health checks,
 * the in-flight count a graceful stop waits on, and `Connection: close` while stopping.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Kms } from '../kms/kms.js'
import { handleHealth, HEALTH_PREFIX } from './health.js'
import { InflightRequests } from './inflight.js'
import { noteRequest } from './request-info.js'

/** What {@link ServerOps} needs to know. */
export interface OpsOptions {
  kms?: Kms
}

/** ServerOps serves the ops routes and tracks every other request. */
export class ServerOps {
  readonly inflight = new InflightRequests()
  #stopping = false

  constructor(private readonly options: OpsOptions) {}

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
    if (url.startsWith(HEALTH_PREFIX)) {
      noteRequest(res, { api: 'health' })
      const handled = handleHealth({ kms: this.options.kms, stopping: () => this.#stopping }, req, res)
      this.inflight.track(res, handled.then((done) => (done ? undefined : next())))
      return
    }
    let handler: Promise<unknown> | void = undefined
    try {
      handler = next()
    } finally {
      this.inflight.track(res, handler instanceof Promise ? handler : undefined)
    }
  }
}
