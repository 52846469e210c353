/**
 * The KMS benchmark: generate and decrypt against `keyhold server` and, in the same run, the
 * same load against nginx answering a fixed response of the same size over mutual TLS (the
 * ceiling of TLS + HTTP on this machine) and against bare node:https doing the same (the floor
 * of Node's HTTP and TLS stack, which separates Keyhold's own cost from the platform's).
 *
 *   node --import tsx bench/kms-bench.ts [--seconds 5] [--workers N] [--soak 60] [--only keepalive|handshake]
 *                                        [--connections 1,16,64] [--compiled] [--baseline <git rev>] [--repeat N] [--tls-floor]
 *
 * Prints one Markdown table per mode (ops/s, p50, p99 at 1, 16 and 64 connections) and, with
 * --soak, the resident memory of each worker after that many seconds of generate at 16
 * connections. --baseline also runs the server built from that commit ("keyhold before") in the
 * same invocation, cell after cell with the others, for a before/after under the same load.
 * --repeat N runs each cell N times (the servers in turn each time) and reports medians: on a
 * shared machine one 3 s cell can be off by a factor of two.
 * --tls-floor adds node:tls answering without any HTTP stack (tls-floor-server.ts): the node floor's
 * distance to it is what Node's HTTP layer costs.
 * Every run is bounded by --seconds; the whole script by its matrix.
 *
 * @module
 */
import { cpSync } from 'node:fs'
import { availableParallelism, cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { testPki } from '../test/helpers/pki.js'
import { baselineEntry, call, startKeyhold, type KeyholdServer } from './lib/keyhold.js'
import { runLoad, type LoadResult, type LoadTarget } from './lib/load.js'
import { startNginx } from './lib/nginx.js'
import { startNodeFloor } from './lib/node-floor.js'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    workers: { type: 'string', default: String(availableParallelism()) },
    soak: { type: 'string', default: '0' },
    only: { type: 'string' },
    connections: { type: 'string', default: '1,16,64' },
    // Run the server from a JavaScript build (as deployed) rather than through tsx.
    compiled: { type: 'boolean', default: false },
    // A git revision to run as "keyhold before" next to the working tree's server.
    baseline: { type: 'string' },
    // Run every cell this many times, servers in turn, and report the median of each number.
    repeat: { type: 'string', default: '1' },
    // Also run the node:tls floor (no HTTP stack): what Node's HTTP layer costs above its TLS.
    'tls-floor': { type: 'boolean', default: false },
  },
})
const seconds = Number(values.seconds)
const workers = Number(values.workers)
const soak = Number(values.soak)
const repeat = Math.max(1, Number(values.repeat))
const conns = values.connections.split(',').map(Number)
const modes = (values.only ? [values.only] : ['keepalive', 'handshake']) as Array<'keepalive' | 'handshake'>

const pki = await testPki()
const app = pki.clients.app
const KEY = 'bench-key'
const server = await startKeyhold(pki, workers, [`/v1/key/generate/${KEY}`, `/v1/key/decrypt/${KEY}`], [], values.compiled)
const created = await call(server.port, pki, 'PUT', `/v1/key/create/${KEY}`)
if (created.status !== 200) throw new Error(`create key: ${created.status} ${created.body}`)
let before: KeyholdServer | undefined
if (values.baseline) {
  before = await startKeyhold(pki, workers, [`/v1/key/generate/${KEY}`, `/v1/key/decrypt/${KEY}`], [], baselineEntry(values.baseline))
  // The same key in its keystore, so both servers decrypt the same ciphertext.
  cpSync(join(server.dir, 'keys'), join(before.dir, 'keys'), { recursive: true })
}
const sample = await call(server.port, pki, 'PUT', `/v1/key/generate/${KEY}`, '{}')
const { ciphertext } = JSON.parse(sample.body) as { ciphertext: string }
const decryptBody = JSON.stringify({ ciphertext })
const decrypted = await call(server.port, pki, 'PUT', `/v1/key/decrypt/${KEY}`, decryptBody)

const tls = { ca: pki.ca.certPem, cert: app.certPem, key: app.keyPem, servername: 'localhost' }
const ops = [
  { name: 'generate', path: `/v1/key/generate/${KEY}`, body: '{}', response: sample.body },
  { name: 'decrypt', path: `/v1/key/decrypt/${KEY}`, body: decryptBody, response: decrypted.body },
]

interface Measured extends LoadResult {
  /** Server CPU per operation, in ms. */
  cpuPerOp: number
  /** The cluster primary's share of it (Keyhold only), in ms. */
  primaryPerOp?: number
}

/** measure runs the load and charges the server's CPU time to it. */
async function measure(target: LoadTarget, cpuMs: () => number, options: Parameters<typeof runLoad>[1], primaryMs?: () => number): Promise<Measured> {
  const before = cpuMs()
  const primaryBefore = primaryMs?.() ?? 0
  const r = await runLoad(target, options)
  // The load includes a warm-up before the measured window: CPU is charged per request served in all of it.
  const served = Math.max(1, r.ops * (1 + Math.min(1000, options.durationMs / 5) / options.durationMs))
  return { ...r, cpuPerOp: (cpuMs() - before) / served, ...(primaryMs ? { primaryPerOp: (primaryMs() - primaryBefore) / served } : {}) }
}

/** medianOf takes the median of each number over repeated runs (statuses summed). */
function medianOf(runs: Measured[]): Measured {
  if (runs.length === 1) return runs[0]!
  const med = (f: (r: Measured) => number): number => {
    const v = runs.map(f).sort((a, b) => a - b)
    return v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2
  }
  const statuses: Record<string, number> = {}
  for (const r of runs) for (const [k, n] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + n
  const primary = runs[0]!.primaryPerOp !== undefined ? { primaryPerOp: med((r) => r.primaryPerOp!) } : {}
  return { ...runs[0]!, opsPerSec: med((r) => r.opsPerSec), p50Ms: med((r) => r.p50Ms), p99Ms: med((r) => r.p99Ms), cpuPerOp: med((r) => r.cpuPerOp), statuses, ...primary }
}

const fmt = (r: Measured): string => {
  const bad = Object.entries(r.statuses).filter(([k]) => k !== '200')
  const primary = r.primaryPerOp !== undefined ? ` (${r.primaryPerOp.toFixed(3)})` : ''
  return `${Math.round(r.opsPerSec)} / ${r.p50Ms.toFixed(2)} / ${r.p99Ms.toFixed(2)} / ${r.cpuPerOp.toFixed(3)}${primary}${bad.length ? ` (${bad.map(([k, v]) => `${k}×${v}`).join(', ')})` : ''}`
}

console.log(`# Keyhold KMS benchmark: ${new Date().toISOString()}`)
console.log(`machine: ${cpus().length}× ${cpus()[0]?.model ?? '?'}, node ${process.version}, load average at start ${loadavg().map((l) => l.toFixed(1)).join(' ')}`)
if (values.baseline) console.log(`keyhold before: ${values.baseline}, compiled, run in turn with the others`)
console.log(`keyhold${values.compiled ? ' (compiled JavaScript)' : ' (TypeScript through tsx)'}: ${workers} worker(s), fs keystore, audit to a hash-chained file; nginx: ${workers} worker(s); ${seconds}s per cell${repeat > 1 ? `, median of ${repeat} runs in turn` : ''}; ECDSA P-256 certificates`)
console.log('cells: ops/s / p50 ms / p99 ms / server CPU ms per op (Keyhold: the primary\'s part in brackets)\n')

for (const mode of modes) {
  console.log(`## ${mode === 'keepalive' ? 'keep-alive connections' : 'new TLS handshake per request'}\n`)
  console.log(`| operation | server | ${conns.map((c) => `${c} conn`).join(' | ')} | ratio at 16 |`)
  console.log(`|---|---|${conns.map(() => '---').join('|')}|---|`)
  for (const op of ops) {
    const nginx = await startNginx({ certFile: pki.server.certFile, keyFile: pki.server.keyFile, caFile: pki.ca.certFile, body: op.response.replace(/\n$/, ''), workers })
    const floor = await startNodeFloor(pki.dir, workers, op.response)
    const tlsFloor = values['tls-floor'] ? await startNodeFloor(pki.dir, workers, op.response, 'tls') : undefined
    const servers: Array<readonly [string, number, () => number, (() => number)?]> = [['keyhold', server.port, server.cpuMs, server.primaryCpuMs], ['nginx', nginx.port, nginx.cpuMs], ['node floor', floor.port, floor.cpuMs]]
    if (before) servers.splice(1, 0, ['keyhold before', before.port, before.cpuMs, before.primaryCpuMs])
    if (tlsFloor) servers.push(['tls floor', tlsFloor.port, tlsFloor.cpuMs])
    const rows: Record<string, Measured[]> = Object.fromEntries(servers.map(([name]) => [name, []]))
    try {
      for (const c of conns) {
        const runs: Record<string, Measured[]> = Object.fromEntries(servers.map(([name]) => [name, []]))
        for (let i = 0; i < repeat; i++) {
          for (const [name, port, cpu, primary] of servers) {
            const target: LoadTarget = { host: '127.0.0.1', port, tls, method: 'PUT', path: op.path, body: op.body }
            runs[name]!.push(await measure(target, cpu, { connections: c, durationMs: seconds * 1000, mode }, workers > 1 ? primary : undefined))
          }
        }
        for (const [name] of servers) rows[name]!.push(medianOf(runs[name]!))
      }
    } finally {
      await nginx.stop()
      await floor.stop()
      await tlsFloor?.stop()
    }
    const i16 = conns.indexOf(16)
    const ratio = (name: string) => (i16 >= 0 && name !== 'nginx' ? `${Math.round((100 * rows[name]![i16]!.opsPerSec) / rows.nginx![i16]!.opsPerSec)}%` : '')
    for (const [name] of servers) console.log(`| ${op.name} | ${name} | ${rows[name]!.map(fmt).join(' | ')} | ${ratio(name)} |`)
  }
  console.log('')
}

if (soak > 0) {
  const target: LoadTarget = { host: '127.0.0.1', port: server.port, tls, method: 'PUT', path: ops[0]!.path, body: '{}' }
  const r = await measure(target, server.cpuMs, { connections: 16, durationMs: soak * 1000, mode: 'keepalive' }, server.primaryCpuMs)
  console.log(`## ${soak}s generate soak at 16 connections: ${fmt(r)}`)
  console.log(`resident memory per worker after the soak: ${server.rssMiB().map((m) => `${m.toFixed(0)} MiB`).join(', ')}\n`)
}
await server.stop()
await before?.stop()
