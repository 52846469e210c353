/**
 * Keyhold's request pipeline in-process, for benchmarks that measure it without Node's HTTP stack:
 * {@link startCapturedKeyhold} starts a real `keyhold server` pipeline (config file, observability,
 * keystore) and hands back its request listener, and {@link BenchRequest}/{@link BenchResponse} are the
 * minimal request and response objects it runs on (what an HTTP/1.1 layer of our own would provide).
 * Bench code only: nothing here parses untrusted input for a deployment.
 *
 * @module
 */
import { EventEmitter } from 'node:events'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { createServer as createTlsServer, type TLSSocket } from 'node:tls'

/** A request listener as node:http calls it. */
export type Listener = (req: IncomingMessage, res: ServerResponse) => void

/** Keyhold's pipeline, started from a config file. */
export interface CapturedKeyhold {
  listener: Listener
  /** A TLS listener of the bench's own with the server's certificate (for a connection whose socket carries a client identity). */
  port: number
  /** The server-side socket of the most recent connection to `port`. */
  lastSocket(): TLSSocket | undefined
  close(): Promise<void>
}

/**
 * startCapturedKeyhold builds the pipeline of `keyhold server --config file` in this process (one
 * process, audit sealed in-process) without listening, and hands back its request listener
 * (`createKmsServer`'s handler). Requests need a TLS socket for their identity: `port` is a bare
 * node:tls listener with the config's certificate and CA, whose accepted sockets `lastSocket`
 * returns. Throws what the server's start-up throws.
 */
export async function startCapturedKeyhold(configFile: string): Promise<CapturedKeyhold> {
  const { loadConfigFile } = await import('../../src/kms/config/load.js')
  const { createKmsObservability } = await import('../../src/kms/observability/kms.js')
  const { createKmsServer } = await import('../../src/kms/server.js')
  const config = loadConfigFile(configFile)
  const obs = await createKmsObservability(config)
  const app = await createKmsServer(config, obs.serverOptions())
  let socket: TLSSocket | undefined
  const { tls } = config
  const tlsServer = createTlsServer({
    key: tls.keyPem,
    cert: tls.certPem,
    ...(tls.caPem !== undefined ? { ca: tls.caPem } : {}),
    requestCert: true,
    rejectUnauthorized: false,
  }, (s) => (socket = s))
  await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve))
  return {
    listener: app.handler,
    port: (tlsServer.address() as AddressInfo).port,
    lastSocket: () => socket,
    close: async () => {
      socket?.destroy()
      await new Promise<void>((resolve) => tlsServer.close(() => resolve()))
      await app.close()
      await obs.close()
    },
  }
}

let dateSecond = -1
let dateText = ''
/** httpDate is the Date header's text, made once a second as HTTP servers do. */
function httpDate(): string {
  const now = Math.floor(Date.now() / 1000)
  if (now !== dateSecond) {
    dateSecond = now
    dateText = new Date(now * 1000).toUTCString()
  }
  return dateText
}

/** benchRequest makes a request as the pipeline reads it: method, url, headers, socket, and the body as a stream. */
export function benchRequest(socket: TLSSocket, method: string, url: string, headers: Record<string, string>, body: Buffer): IncomingMessage {
  const req = new Readable({ read() {} }) as Readable & Record<string, unknown>
  Object.assign(req, { method, url, socket, complete: false, headers })
  req.once('end', () => (req.complete = true))
  if (body.length > 0) req.push(body)
  req.push(null)
  return req as unknown as IncomingMessage
}

/**
 * BenchResponse serialises its head and body as an HTTP/1.1 layer would; on end it hands the bytes to
 * `send` (or keeps them in `wire`), then finishes and closes.
 */
export class BenchResponse extends EventEmitter {
  statusCode = 200
  headersSent = false
  writableEnded = false
  writableFinished = false
  wire = ''
  readonly #send: ((wire: string) => void) | undefined
  #headers: Array<[string, string]> = []

  constructor(send?: (wire: string) => void) {
    super()
    this.#send = send
  }

  setHeader(name: string, value: string): this {
    this.#headers.push([name, String(value)])
    return this
  }

  getHeader(name: string): string | undefined {
    return this.#headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1]
  }

  writeHead(status: number, headers?: string[] | Record<string, string>): this {
    this.statusCode = status
    if (Array.isArray(headers)) for (let i = 0; i < headers.length; i += 2) this.#headers.push([headers[i]!, headers[i + 1]!])
    else if (headers) for (const [k, v] of Object.entries(headers)) this.#headers.push([k, String(v)])
    return this
  }

  flushHeaders(): void {
    this.#head()
  }

  write(chunk: string | Buffer): boolean {
    this.#head()
    this.wire += String(chunk)
    return true
  }

  end(chunk?: string | Buffer): this {
    this.#head()
    if (chunk !== undefined) this.wire += String(chunk)
    this.writableEnded = true
    this.#send?.(this.wire)
    process.nextTick(() => {
      this.writableFinished = true
      this.emit('finish')
      this.emit('close')
    })
    return this
  }

  destroy(): this {
    process.nextTick(() => this.emit('close'))
    return this
  }

  #head(): void {
    if (this.headersSent) return
    this.headersSent = true
    let head = `HTTP/1.1 ${this.statusCode} ${this.statusCode === 200 ? 'OK' : 'Status'}\r\nDate: ${httpDate()}\r\n`
    for (const [k, v] of this.#headers) head += `${k}: ${v}\r\n`
    this.wire = head + '\r\n'
  }
}
