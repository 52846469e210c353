/**
 * Keyhold's own CPU per request, without any transport: the real request handler of `keyhold server`
 * (routing, auth, policy, key cache, crypto, audit to a hash-chained file, metrics) driven in-process
 * with minimal request and response objects, next to a handler that answers the same fixed body on
 * the same objects. The difference is Keyhold's own work; added to the tls floor of kms-bench.ts
 * (node:tls with no HTTP stack) it tells what Keyhold would cost on an HTTP/1.1 layer of its own.
 *
 *   node --import tsx bench/kms-handler-cost.ts [--requests 50000] [--rounds 5]
 *
 * The identity comes from a real mutual-TLS connection: its server-side socket is the request's
 * socket, as on a keep-alive connection. Single process (audit sealed in-process, no cluster IPC).
 * Bounded by --requests × --rounds.
 *
 * @module
 */
import https from 'node:https'
import { syncBuiltinESMExports } from 'node:module'
import { EventEmitter } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { connect, type TLSSocket } from 'node:tls'
import { parseArgs } from 'node:util'
import { testPki } from '../test/helpers/pki.js'

const { values } = parseArgs({ options: { requests: { type: 'string', default: '50000' }, rounds: { type: 'string', default: '5' } } })
const requests = Number(values.requests)
const rounds = Number(values.rounds)

type Listener = (req: IncomingMessage, res: ServerResponse) => void
// Keep the server's request listener: it is Keyhold's whole pipeline (server.ts `entry`).
let captured: Listener | undefined
let serverSocket: TLSSocket | undefined
const original = https.createServer
;(https as { createServer: unknown }).createServer = (options: https.ServerOptions, listener: Listener) => {
  captured = listener
  const server = original(options, listener)
  server.on('secureConnection', (s: TLSSocket) => (serverSocket = s))
  return server
}
syncBuiltinESMExports()
const { loadConfigFile } = await import('../src/config/load.js')
const { createKmsObservability } = await import('../src/observability/kms.js')
const { startKmsServer } = await import('../src/server.js')

const pki = await testPki()
const dir = mkdtempSync(join(tmpdir(), 'keyhold-handler-cost-'))
process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
const KEY = 'bench-key'
writeFileSync(join(dir, 'config.yml'), `
address: 127.0.0.1:0
admin:
  identity: ${pki.clients.admin.identity}
tls:
  key: ${pki.server.keyFile}
  cert: ${pki.server.certFile}
  ca: ${pki.ca.certFile}
policy:
  bench:
    allow: ["/v1/key/create/${KEY}", "/v1/key/generate/${KEY}", "/v1/key/decrypt/${KEY}"]
    identities: [${pki.clients.app.identity}]
log:
  error: warn
  audit: ${join(dir, 'audit.log')}
keystore:
  fs:
    path: ${join(dir, 'keys')}
`)
const config = loadConfigFile(join(dir, 'config.yml'))
const obs = await createKmsObservability(config)
const server = await startKmsServer(config, obs.serverOptions())
const client = connect({ port: server.address.port, host: '127.0.0.1', servername: 'localhost', ca: pki.ca.certPem, cert: pki.clients.app.certPem, key: pki.clients.app.keyPem })
await new Promise<void>((resolve, reject) => client.once('secureConnect', resolve).once('error', reject))
await new Promise((r) => setTimeout(r, 50))
const socket = serverSocket
const keyhold = captured
if (socket === undefined || keyhold === undefined) throw new Error('did not capture the server socket and listener')

/** A request as the pipeline reads it: method, url, headers, socket, and the body as a stream. */
function request(method: string, url: string, body: string): IncomingMessage {
  const req = new Readable({ read() {} }) as Readable & Record<string, unknown>
  const bytes = Buffer.from(body)
  Object.assign(req, { method, url, socket, complete: false, headers: { host: 'localhost', 'content-type': 'application/json', 'content-length': String(bytes.length) } })
  req.once('end', () => (req.complete = true))
  if (bytes.length > 0) req.push(bytes)
  req.push(null)
  return req as unknown as IncomingMessage
}

/** A response that serialises its head and body as an HTTP/1.1 layer would, then finishes and closes. */
class Response extends EventEmitter {
  statusCode = 200
  headersSent = false
  writableEnded = false
  writableFinished = false
  wire = ''
  #headers: Array<[string, string]> = []
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
    let head = `HTTP/1.1 ${this.statusCode} OK\r\n`
    for (const [k, v] of this.#headers) head += `${k}: ${v}\r\n`
    this.wire = head + '\r\n'
  }
}

/** call runs one request through `listener` and resolves with the response once it closed. */
function call(listener: Listener, method: string, url: string, body: string): Promise<Response> {
  const res = new Response()
  const closed = new Promise<Response>((resolve) => res.once('close', () => resolve(res)))
  listener(request(method, url, body), res as unknown as ServerResponse)
  return closed
}

const created = await call(keyhold, 'PUT', `/v1/key/create/${KEY}`, '')
if (created.statusCode !== 200) throw new Error(`create: ${created.wire}`)
const sample = await call(keyhold, 'PUT', `/v1/key/generate/${KEY}`, '{}')
const sampleBody = sample.wire.slice(sample.wire.indexOf('\r\n\r\n') + 4)
const decryptBody = JSON.stringify({ ciphertext: (JSON.parse(sampleBody) as { ciphertext: string }).ciphertext })
const decrypted = await call(keyhold, 'PUT', `/v1/key/decrypt/${KEY}`, decryptBody)
if (decrypted.statusCode !== 200) throw new Error(`decrypt: ${decrypted.wire}`)

// The same objects answering a fixed body: what the fakes themselves cost.
const fixed = (response: string): Listener => (req, res) => {
  req.resume()
  req.once('end', () => {
    res.writeHead(200, ['Content-Type', 'application/json', 'Content-Length', String(Buffer.byteLength(response))])
    res.end(response)
  })
}

const ops = [
  { name: 'generate', url: `/v1/key/generate/${KEY}`, body: '{}', response: sampleBody },
  { name: 'decrypt', url: `/v1/key/decrypt/${KEY}`, body: decryptBody, response: decrypted.wire.slice(decrypted.wire.indexOf('\r\n\r\n') + 4) },
]

/** cpuPerRequest runs `requests` calls, 16 in flight, and returns µs of this process's CPU per call. */
async function cpuPerRequest(listener: Listener, url: string, body: string): Promise<number> {
  const start = process.cpuUsage()
  let next = 0
  let failed = 0
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next++ < requests) if ((await call(listener, 'PUT', url, body)).statusCode !== 200) failed++
  }))
  if (failed > 0) throw new Error(`${failed} requests failed`)
  const used = process.cpuUsage(start)
  return (used.user + used.system) / requests
}

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!
console.log(`# Keyhold's own CPU per request, in-process: ${new Date().toISOString()}`)
console.log(`${cpus().length}× ${cpus()[0]?.model ?? '?'}, node ${process.version}; ${requests} requests × ${rounds} rounds, 16 in flight, medians; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`)
console.log('| operation | Keyhold pipeline µs | fixed body on the same objects µs | Keyhold\'s own µs |')
console.log('|---|---|---|---|')
for (const op of ops) {
  const mine: number[] = []
  const floor: number[] = []
  for (let i = 0; i < rounds; i++) {
    mine.push(await cpuPerRequest(keyhold, op.url, op.body))
    floor.push(await cpuPerRequest(fixed(op.response), op.url, op.body))
  }
  console.log(`| ${op.name} | ${median(mine).toFixed(1)} | ${median(floor).toFixed(1)} | ${(median(mine) - median(floor)).toFixed(1)} |`)
}
client.destroy()
await server.close()
await obs.close()
