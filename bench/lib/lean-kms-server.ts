/**
 * A measuring prototype, not a server to deploy: Keyhold's real request pipeline (one process) served
 * over node:tls by a minimal HTTP/1.1 framing (request line, headers, Content-Length bodies, one request
 * at a time per connection) instead of node:https. It answers "what would Keyhold cost on an HTTP/1.1
 * layer of its own?" with a rate rather than an estimate. It parses only what the load generator sends
 * and refuses (closes) anything else.
 *
 * Run by kms-lean-estimate.ts: node --import tsx lean-kms-server.ts CONFIG_FILE PKI_DIR
 * Reports its port on the IPC channel.
 */
import { readFileSync } from 'node:fs'
import type { ServerResponse } from 'node:http'
import { join } from 'node:path'
import { createServer, type TLSSocket } from 'node:tls'
import { BenchResponse, benchRequest, startCapturedKeyhold } from './in-process.js'

const [configFile, dir] = process.argv.slice(2) as [string, string]
const kms = await startCapturedKeyhold(configFile)
const MAX_HEAD = 16 * 1024

/** serve runs the requests of one connection in order. */
function serve(socket: TLSSocket): void {
  let pending: Buffer = Buffer.alloc(0)
  let busy = false
  const next = (): void => {
    if (busy) return
    const end = pending.indexOf('\r\n\r\n')
    if (end < 0) {
      if (pending.length > MAX_HEAD) socket.destroy()
      return
    }
    const lines = pending.subarray(0, end).toString('latin1').split('\r\n')
    const [method, url, version] = (lines[0] ?? '').split(' ')
    if (method === undefined || url === undefined || version !== 'HTTP/1.1') return void socket.destroy()
    const headers: Record<string, string> = {}
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':')
      if (colon <= 0) return void socket.destroy()
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
    }
    const length = Number(headers['content-length'] ?? '0')
    if (!Number.isSafeInteger(length) || length < 0 || 'transfer-encoding' in headers) return void socket.destroy()
    if (pending.length < end + 4 + length) return
    const body = pending.subarray(end + 4, end + 4 + length)
    pending = pending.subarray(end + 4 + length)
    busy = true
    const res = new BenchResponse((wire) => socket.write(wire))
    res.once('close', () => {
      busy = false
      next()
    })
    kms.listener(benchRequest(socket, method, url, headers, Buffer.from(body)), res as unknown as ServerResponse)
  }
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
    next()
  })
  socket.on('error', () => socket.destroy())
}

const server = createServer(
  { cert: readFileSync(join(dir, 'server.crt')), key: readFileSync(join(dir, 'server.key')), ca: readFileSync(join(dir, 'ca.crt')), requestCert: true, rejectUnauthorized: true },
  serve,
)
server.listen(0, '127.0.0.1', () => process.send?.((server.address() as { port: number }).port))
// Exit normally on SIGTERM, so that a --cpu-prof profile is written.
process.once('SIGTERM', () => process.exit(0))
