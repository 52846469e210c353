/**
 * createS3Server: opens the data dir (SQLite metadata + blob files, cleaning crash leftovers), and serves the
 * S3 API over HTTPS (or HTTP without certificates) with the extension hooks plugged in.
 *
 * @module
 */
import { mkdirSync } from 'node:fs'
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import express from 'express'
import { rootCredentials, rootOnlyAuthorizer } from './defaults.js'
import { s3err } from './api/errors.js'
import type { ExtensionContext } from './extensions.js'
import { makeAuthenticate } from './auth/authenticate.js'
import type { Core } from './api/context.js'
import { handleS3 } from './api/dispatch.js'
import { DEFAULT_LINGER } from './api/linger.js'
import { continueOnFirstRead } from './api/expect-continue.js'
import { CanonicalHeaderResponse } from './api/canonical-headers.js'
import { CorsPolicy } from './api/cors.js'
import { matchingExtensions, serveExtensions } from './api/extension-routes.js'
import { newRequestId, sendError } from './api/context.js'
import { gracefulCloser } from '../lib/graceful-close.js'
import { drain, type StopReport } from './ops/graceful.js'
import { serverInfoRoute } from './ops/admin-info.js'
import type { BucketUsage } from './ops/metrics.js'
import { ServerOps } from './ops/ops.js'
import { noteRequest } from './ops/request-info.js'
import type { S3ServerOptions } from './options.js'
import { BlobStore } from './storage/blobs.js'
import { openDatabase } from './storage/db.js'
import { MetaStore } from './storage/meta.js'
import { DEFAULT_EXPIRY_INTERVAL_MS, startLifecycleExpiry } from './lifecycle/scheduler.js'
import { UploadStore } from './storage/uploads.js'
import { loadCertsDir, tlsSetup, type LoadedCerts, type TlsSetup } from './tls/certs-dir.js'
import { createServiceLogger, messageLog, type MessageLog } from '../lib/logger.js'
import { keyFileModeWarning } from '../lib/tls-files.js'

/** A running keyhold-s3 server. */
export interface S3Server {
  /** Base URL, e.g. https://127.0.0.1:40123 */
  url: string
  port: number
  tls: boolean
  /** How many leftover blobs start-up removed (crash recovery). */
  recovered: number
  /** reloadCertificates re-reads the certs dir (SIGHUP); throws Error for bad certificates (old ones stay). */
  reloadCertificates(): void
  /**
   * close stops accepting, lets the requests in flight finish within `graceMs` (default: the server's
   * `shutdownGraceMs`, 0 cuts them at once), cuts the rest (their unfinished uploads are removed), waits for
   * every handler to settle and closes the database last. Resolves what it did; never rejects.
   */
  close(options?: { graceMs?: number }): Promise<StopReport>
  /** How many requests are in flight. */
  readonly inflight: number
}

/** A whole 400 response for a request the HTTP parser refused (there is no request object to answer on). */
function parserErrorResponse(code: 'RequestHeaderSectionTooLarge' | 'RequestTimeout'): string {
  const id = newRequestId()
  const e = s3err(code)
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${e.code}</Code><Message>${e.message}</Message><RequestId>${id}</RequestId><HostId>${id}</HostId></Error>`
  return `HTTP/1.1 400 Bad Request\r\nContent-Type: application/xml\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\nx-amz-request-id: ${id}\r\n\r\n${body}`
}

/**
 * warnKeyFileModes warns about each `private.key` of a certs dir (default and SNI) that group or others may access:
 * a warning, never a refusal, as MinIO accepts such keys and container mounts often make them 0644. Throws nothing.
 */
function warnKeyFileModes(certs: LoadedCerts | undefined, log: MessageLog): void {
  for (const pair of certs?.default === undefined ? [] : [certs.default, ...certs.sni]) {
    const warning = keyFileModeWarning(pair.keyFile)
    if (warning !== undefined) log.warn(warning)
  }
}

/**
 * createS3Server starts a server; throws Error when the data dir or database cannot be opened, certificates
 * are invalid, or the address cannot be bound.
 */
export async function createS3Server(options: S3ServerOptions): Promise<S3Server> {
  // Certificates first: a bad certs dir fails start-up before the data dir is touched.
  let setup: TlsSetup | undefined
  const loadTls = (): ReturnType<typeof loadCertsDir> | undefined => {
    if (options.tls?.cert !== undefined && options.tls.key !== undefined) return undefined
    return options.certsDir !== undefined ? loadCertsDir(options.certsDir, options.certPassword) : undefined
  }
  const dirCerts = loadTls()
  if (options.tls?.cert !== undefined && options.tls.key !== undefined) {
    setup = tlsSetup({ default: { cert: String(options.tls.cert), key: String(options.tls.key) } })
  } else if (dirCerts?.default !== undefined) {
    setup = tlsSetup({ default: dirCerts.default, sni: dirCerts.sni })
  }
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 })
  const db = openDatabase(options.dataDir)
  const blobs = new BlobStore(options.dataDir, db)
  const recovered = await blobs.recover()
  const meta = new MetaStore(db, blobs)
  const log = options.log ?? messageLog(createServiceLogger('keyhold-s3', 'info'))
  warnKeyFileModes(dirCerts, log)
  const core: Core = {
    meta, blobs, uploads: new UploadStore(db, blobs),
    credentials: options.credentials ?? rootCredentials(options.rootUser, options.rootPassword),
    authorizer: options.authorizer ?? rootOnlyAuthorizer,
    crypto: options.crypto, subresources: options.subresources ?? {},
    region: options.region ?? '', domain: options.domain?.toLowerCase(),
    maxSkewMs: options.maxClockSkewMs ?? 15 * 60 * 1000, log,
    linger: { ...DEFAULT_LINGER, ...options.timeouts?.linger },
  }
  const expiry = startLifecycleExpiry(meta, log, options.lifecycleIntervalMs ?? DEFAULT_EXPIRY_INTERVAL_MS, undefined, options.staleUploadsMs)
  const extCtx: ExtensionContext = {
    authenticate: makeAuthenticate(core), credentials: core.credentials, bucketConfig: meta, region: core.region,
    authorizer: core.authorizer,
  }
  const usageStatement = db.prepare(
    'SELECT b.name AS bucket, count(o.key) AS objects, coalesce(sum(o.size), 0) AS bytes FROM buckets b LEFT JOIN objects o ON o.bucket = b.name GROUP BY b.name',
  )
  const usage = (): BucketUsage[] => usageStatement.all() as BucketUsage[]
  const info = serverInfoRoute({ dataDir: options.dataDir, region: core.region, kms: options.kms, usage, startedAt: Date.now() })
  const extras = [info, ...(options.extraRoutes ?? [])].map((r) => {
    const app = express()
    app.disable('x-powered-by')
    app.use(r.prefix, r.router(extCtx))
    return { prefix: r.prefix, app }
  })
  const ops = new ServerOps({
    kms: options.kms, credentials: core.credentials, authorizer: core.authorizer, usage,
    publicMetrics: options.publicMetrics, accessLog: options.accessLog,
  })
  const route = (req: IncomingMessage, res: ServerResponse): Promise<void> | void => {
    const matching = matchingExtensions(extras, req.url ?? '/')
    if (matching.length > 0) return serveExtensions(matching, req, res)
    return handleS3(core, req, res)
  }
  const cors = new CorsPolicy(options.corsAllowOrigins)
  // CORS wraps every route, as MinIO's handler does: a preflight is answered before authentication (a browser
  // sends no credentials with it), and the CORS headers of an actual request are set before its handler runs,
  // so that its answer carries them even when it is an error.
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const preflight = cors.isPreflight(req)
    if (!preflight) cors.annotate(req, res)
    ops.serve(req, res, () => {
      if (!preflight) return route(req, res)
      // Named in the access log and metrics, rather than counted as an `unknown` S3 request.
      noteRequest(res, { api: 'preflight' })
      try {
        cors.answerPreflight(req, res)
      } catch (err) {
        const rawPath = (req.url ?? '/').split('?')[0]!
        sendError({ core, req, res, requestId: newRequestId(), rawPath, bucket: undefined, key: undefined }, err)
      }
    })
  }

  const headersTimeout = options.timeouts?.headersMs ?? 60_000
  const serverOptions = {
    // Header names as AWS spells them (ETag, Content-Type, x-amz-request-id), whatever a handler wrote.
    ServerResponse: CanonicalHeaderResponse,
    requestTimeout: 0, headersTimeout, keepAliveTimeout: 5_000,
    // Node checks the headers deadline only this often (30 s by default): a short deadline needs a short period.
    connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(headersTimeout / 4))),
  }
  const server: Server | HttpsServer = setup !== undefined
    ? createHttpsServer({ ...setup.options, ...serverOptions, handshakeTimeout: options.timeouts?.handshakeMs ?? 10_000 }, handler)
    : createHttpServer(serverOptions, handler)
  // Before any request listener runs: a stop must know every request in flight.
  const closer = gracefulCloser(server)
  // `Expect: 100-continue` is answered once a handler reads the body, not before authentication.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    continueOnFirstRead(req, res)
    server.emit('request', req, res)
  })
  // Inactivity of a request in progress: a silent body is answered RequestTimeout (http/linger.ts), anything
  // else without a listener (the admin routes) is cut; a complete request whose handler works on is left alone.
  server.timeout = options.timeouts?.idleMs ?? 120_000
  // Connections whose TLS handshake finished: only those can be sent an HTTP answer. Node's https server hands
  // handshake failures (and its handshake timeout) to 'clientError' too, and an answer written to a socket
  // still in its handshake is never sent and kept the socket open: a client that connected and said nothing
  // held it until Node's 120 s, past the handshake deadline.
  const secured = new WeakSet<Socket>()
  if (setup !== undefined) server.on('secureConnection', (socket: Socket) => secured.add(socket))
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (setup !== undefined && !secured.has(socket)) socket.destroy()
    else if (socket.writable && (err.code === 'HPE_HEADER_OVERFLOW')) socket.end(parserErrorResponse('RequestHeaderSectionTooLarge'))
    else if (socket.writable && err.code === 'ERR_HTTP_REQUEST_TIMEOUT') socket.end(parserErrorResponse('RequestTimeout'))
    else if (socket.writable && err.code !== 'ECONNRESET') socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
    else socket.destroy()
  })
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.off('error', reject)
        resolve()
      })
    })
  } catch (err) {
    expiry.stop()
    db.close()
    throw err
  }
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const tls = setup !== undefined
  return {
    url: `${tls ? 'https' : 'http'}://${host}:${address.port}`,
    port: address.port,
    tls,
    recovered,
    reloadCertificates() {
      if (setup === undefined || options.certsDir === undefined) return
      const fresh = loadCertsDir(options.certsDir, options.certPassword)
      if (fresh.default === undefined) throw new Error('certs dir no longer holds public.crt and private.key')
      ;(server as HttpsServer).setSecureContext(setup.update({ default: fresh.default, sni: fresh.sni }))
      warnKeyFileModes(fresh, log)
    },
    get inflight() {
      return ops.inflight.count
    },
    async close(closeOptions) {
      ops.beginStop()
      const report = await drain(closer, ops.inflight, closeOptions?.graceMs ?? options.shutdownGraceMs ?? 0)
      expiry.stop()
      db.close()
      return report
    },
  }
}
