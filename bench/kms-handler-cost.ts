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
import { mkdtempSync, rmSync } from 'node:fs'
import type { ServerResponse } from 'node:http'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from 'node:tls'
import { parseArgs } from 'node:util'
import { testPki } from '../test/helpers/pki.js'
import { BenchResponse, benchRequest, startCapturedKeyhold, type Listener } from './lib/in-process.js'
import { writeBenchConfig } from './lib/keyhold.js'

const { values } = parseArgs({ options: { requests: { type: 'string', default: '50000' }, rounds: { type: 'string', default: '5' } } })
const requests = Number(values.requests)
const rounds = Number(values.rounds)

const pki = await testPki()
const dir = mkdtempSync(join(tmpdir(), 'keyhold-handler-cost-'))
process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
const KEY = 'bench-key'
const configFile = writeBenchConfig(pki, dir, '127.0.0.1:0', [`/v1/key/create/${KEY}`, `/v1/key/generate/${KEY}`, `/v1/key/decrypt/${KEY}`])
const kms = await startCapturedKeyhold(configFile)
const client = connect({ port: kms.port, host: '127.0.0.1', servername: 'localhost', ca: pki.ca.certPem, cert: pki.clients.app.certPem, key: pki.clients.app.keyPem })
await new Promise<void>((resolve, reject) => client.once('secureConnect', resolve).once('error', reject))
await new Promise((r) => setTimeout(r, 50))
const socket = kms.lastSocket()
const keyhold = kms.listener
if (socket === undefined) throw new Error('did not capture the server socket')

/** call runs one request through `listener` and resolves with the response once it closed. */
function call(listener: Listener, method: string, url: string, body: string): Promise<BenchResponse> {
  const res = new BenchResponse()
  const closed = new Promise<BenchResponse>((resolve) => res.once('close', () => resolve(res)))
  const bytes = Buffer.from(body)
  const headers = { host: 'localhost', 'content-type': 'application/json', 'content-length': String(bytes.length) }
  listener(benchRequest(socket!, method, url, headers, bytes), res as unknown as ServerResponse)
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
await kms.close()
