/**
 * The KMS as Go clients see it: `kesload` against `keyhold server` and, in the same invocation,
 * against `kesref` (a Go server doing a KES server's per-request work: ../shared/tools/README.md),
 * cell after cell with the same load and certificates, so the ratio holds on a noisy machine.
 *
 *   node --import tsx bench/kms-go-bench.ts [--compiled] [--seconds 5] [--workers N] [--callers 16,64]
 *        [--modes minio,keepalive,newconn] [--ops generate,decrypt] [--repeat N] [--baseline <git rev>]
 *        [--soak 60] [--kesload PATH] [--kesref PATH] [--tools-src DIR] [--floor] [--crypto-floor] [--nginx] [--client-timeout 10s|0]
 *
 * Modes: `minio` is kms-go's transport exactly (HTTP/2, two idle connections per host; callers =
 * concurrent calls), `keepalive` HTTP/1.1 keep-alive connections (callers = connections),
 * `newconn` a TCP connection and full TLS handshake per request. Each cell prints ops/s, p50 and
 * p99 ms, the server's CPU ms per request (kesload's `-pids` window, all server processes) and TCP
 * dials; "ratio" is Keyhold's rate over kesref's in the same repetition, median over --repeat;
 * "others' CPU" is what every other process on the host used during Keyhold's cells (of 100% per core).
 * --floor adds the Node.js floor (bench/lib/node-floor-server.ts: node:https with the same mutual TLS and
 * workers, a fixed response, none of Keyhold's work) as a third server in every cell: what the platform
 * itself reaches against kesref under the same Go client; with the minio mode also the node:http2 floor
 * (bench/lib/node-h2-floor-server.ts, the same fixed response from the raw stream), the floor MinIO's
 * HTTP/2 transport meets.
 * --crypto-floor adds the same floors doing Keyhold's generate and decrypt cryptography per request
 * (bench/lib/floor-crypto.ts: JSON body, base64, random pool, HMAC key derivation, AES-256-GCM) and
 * nothing else of its pipeline: how far the platform gets with the work no KMS can skip.
 * --nginx adds Debian's nginx (mutual TLS, HTTP/2 and HTTP/1.1, the same fixed answer, as many workers): the
 * ceiling of TLS and HTTP on this machine, beside the others in every cell.
 * --client-timeout is kesload's per-request timeout (default 10s); 0 shows what Go 1.23 and later see on
 * HTTP/1.1: older Go cancels a dial when the request that started it ends (golang/go#59017).
 * --soak runs MinIO-shaped generate at 16 callers for that many seconds and prints each worker's
 * resident memory afterwards. The Go tools are built into test/.tmp from --tools-src (Go 1.19
 * is enough) unless given. Bounded: every cell by --seconds plus kesload's own hard limit.
 *
 * @module
 */
import { execFileSync, spawn } from 'node:child_process'
import { cpSync, existsSync } from 'node:fs'
import { availableParallelism, cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { testPki } from '../test/helpers/pki.js'
import { baselineEntry, call, startKeyhold, type KeyholdServer } from './lib/keyhold.js'
import { startNodeFloor } from './lib/node-floor.js'
import { freePort, startNginx } from './lib/nginx.js'
import { childrenOf, cpuMs, rssMiB } from './lib/proc.js'

const root = new URL('../', import.meta.url).pathname
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    workers: { type: 'string', default: String(availableParallelism()) },
    callers: { type: 'string', default: '16,64' },
    modes: { type: 'string', default: 'minio' },
    ops: { type: 'string', default: 'generate,decrypt' },
    repeat: { type: 'string', default: '1' },
    compiled: { type: 'boolean', default: false },
    baseline: { type: 'string' },
    soak: { type: 'string', default: '0' },
    kesload: { type: 'string' },
    kesref: { type: 'string' },
    'tools-src': { type: 'string', default: join(root, '../shared/tools') },
    floor: { type: 'boolean', default: false },
    'crypto-floor': { type: 'boolean', default: false },
    nginx: { type: 'boolean', default: false },
    // kesload's per-request timeout (Go's http.Client.Timeout). Go before 1.23 cancels a dial when the
    // request that started it ends (golang/go#59017); with 0 no request is ever cancelled, which is
    // how Go 1.23 and later treat dials whatever the timeout.
    'client-timeout': { type: 'string', default: '10s' },
  },
})
const seconds = Number(values.seconds)
const workers = Number(values.workers)
const repeat = Math.max(1, Number(values.repeat))
const callers = values.callers.split(',').map(Number)
const modes = values.modes.split(',') as Array<'minio' | 'keepalive' | 'newconn'>
const ops = values.ops.split(',') as Array<'generate' | 'decrypt'>

/** goTool returns the path of a built Go tool, building it into test/.tmp when absent. Throws when go fails. */
function goTool(name: 'kesload' | 'kesref', given: string | undefined): string {
  if (given !== undefined) return given
  const out = join(root, 'test/.tmp', name)
  if (!existsSync(out)) execFileSync('go', ['build', '-o', out, '.'], { cwd: join(values['tools-src'], name), env: { ...process.env, GO111MODULE: 'off' }, stdio: 'inherit' })
  return out
}
const kesload = goTool('kesload', values.kesload)
const kesrefBin = goTool('kesref', values.kesref)

const pki = await testPki()
const app = pki.clients.app
const KEY = 'bench-key'
const allow = [`/v1/key/generate/${KEY}`, `/v1/key/decrypt/${KEY}`]
const keyhold = await startKeyhold(pki, workers, allow, [], values.compiled)
if ((await call(keyhold.port, pki, 'PUT', `/v1/key/create/${KEY}`)).status !== 200) throw new Error('create key failed')
let before: KeyholdServer | undefined
if (values.baseline) {
  before = await startKeyhold(pki, workers, allow, [], baselineEntry(values.baseline))
  cpSync(join(keyhold.dir, 'keys'), join(before.dir, 'keys'), { recursive: true })
}
// A generate answer kesload accepts for both operations (decrypt mode generates once, then decrypts).
const floorBody = JSON.stringify({ plaintext: Buffer.alloc(32, 1).toString('base64'), ciphertext: Buffer.alloc(76, 2).toString('base64') })
const floor = values.floor ? await startNodeFloor(pki.dir, workers, floorBody) : undefined
// MinIO's transport speaks HTTP/2 only: its floor is node:http2's.
const h2Floor = values.floor && modes.includes('minio') ? await startNodeFloor(pki.dir, workers, floorBody, 'h2') : undefined
const cryptoFloor = values['crypto-floor'] && modes.some((m) => m !== 'minio') ? await startNodeFloor(pki.dir, workers, floorBody, 'https', 'crypto') : undefined
const h2CryptoFloor = values['crypto-floor'] && modes.includes('minio') ? await startNodeFloor(pki.dir, workers, floorBody, 'h2', 'crypto') : undefined
const nginx = values.nginx
  ? await startNginx({ certFile: pki.server.certFile, keyFile: pki.server.keyFile, caFile: pki.ca.certFile, body: floorBody, workers, http2: true })
  : undefined
const refPort = await freePort()
const ref = spawn(kesrefBin, ['-addr', `127.0.0.1:${refPort}`, '-cert', pki.server.certFile, '-key', pki.server.keyFile, '-identity', app.identity, '-keys', KEY, '-exit-after', '2h'], { stdio: ['ignore', 'ignore', 'inherit'] })
await new Promise((r) => setTimeout(r, 500))

interface Cell { ops: number; p50: number; p99: number; cpuPerOp: number; dials: number; errors: number; others: number }
/** A server measured in every cell; `only`: the comma-separated modes it takes part in (all when absent). */
interface Target { name: string; port: number; pids: () => number[]; only?: string }
const allTargets: Target[] = [
  { name: 'keyhold', port: keyhold.port, pids: () => [keyhold.pid, ...childrenOf(keyhold.pid)] },
  ...(before ? [{ name: 'keyhold before', port: before.port, pids: () => [before!.pid, ...childrenOf(before!.pid)] }] : []),
  ...(floor ? [{ name: 'node floor', port: floor.port, pids: () => [floor.pid, ...childrenOf(floor.pid)] }] : []),
  ...(h2Floor ? [{ name: 'node h2 floor', port: h2Floor.port, pids: () => [h2Floor.pid, ...childrenOf(h2Floor.pid)], only: 'minio' }] : []),
  ...(cryptoFloor ? [{ name: 'node floor + crypto', port: cryptoFloor.port, pids: () => [cryptoFloor.pid, ...childrenOf(cryptoFloor.pid)], only: 'keepalive,newconn' }] : []),
  ...(h2CryptoFloor ? [{ name: 'node h2 floor + crypto', port: h2CryptoFloor.port, pids: () => [h2CryptoFloor.pid, ...childrenOf(h2CryptoFloor.pid)], only: 'minio' }] : []),
  ...(nginx ? [{ name: 'nginx', port: nginx.port, pids: () => [nginx.pid, ...childrenOf(nginx.pid)] }] : []),
  { name: 'kesref', port: refPort, pids: () => [ref.pid!] },
]

/** load runs one kesload cell against `t` and returns its figures. Throws when kesload fails. */
function load(t: Target, op: string, mode: string, c: number, secs: number): Cell {
  const args = ['-url', `https://127.0.0.1:${t.port}`, '-cert', app.certFile, '-key', app.keyFile, '-cacert', pki.ca.certFile,
    '-mode', op, '-key-name', KEY, '-c', String(c), '-d', `${secs}s`, '-warmup', '1s', '-timeout', values['client-timeout'], '-pids', t.pids().join(',')]
  if (mode === 'minio') args.push('-minio')
  if (mode === 'newconn') args.push('-newconn')
  const out = execFileSync(kesload, args, { encoding: 'utf8', maxBuffer: 1 << 20 })
  const r = JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>
  const requests = Math.max(1, r.requests!)
  return { ops: r.ops_per_s!, p50: r.p50_ms!, p99: r.p99_ms!, cpuPerOp: ((r.server_cpu_pct ?? 0) / 100) * r.seconds! * 1000 / requests, dials: r.tcp_dials_total!, errors: r.errors!, others: r.other_cpu_pct ?? -1 }
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const fmt = (cells: Cell[]): string => {
  const m = (f: (c: Cell) => number) => median(cells.map(f))
  const errors = cells.reduce((n, c) => n + c.errors, 0)
  return `${Math.round(m((c) => c.ops))} / ${m((c) => c.p50).toFixed(1)} / ${m((c) => c.p99).toFixed(1)} / ${m((c) => c.cpuPerOp).toFixed(3)} / ${Math.round(m((c) => c.dials))}${errors ? ` (${errors} errors)` : ''}`
}

console.log(`# Keyhold against kesref, Go clients (kesload): ${new Date().toISOString()}`)
console.log(`machine: ${cpus().length}× ${cpus()[0]?.model ?? '?'}, node ${process.version}, load average at start ${loadavg().map((l) => l.toFixed(1)).join(' ')}`)
console.log(`keyhold${values.compiled ? ' (compiled)' : ' (through tsx)'}: ${workers} worker(s), fs keystore, audit to a hash-chained file${values.baseline ? `; keyhold before: ${values.baseline}` : ''}; kesref: GOMAXPROCS ${cpus().length}; ${seconds}s per cell after 1s warm-up${repeat > 1 ? `, median of ${repeat} in turn` : ''}; kesload -timeout ${values['client-timeout']}`)
console.log('cells: ops/s / p50 ms / p99 ms / server CPU ms per request / TCP dials; ratio = Keyhold ops/s ÷ kesref ops/s per repetition (median), p99 ratio likewise\n')

for (const mode of modes) {
  const targets = allTargets.filter((t) => t.only === undefined || t.only.split(',').includes(mode))
  console.log(`## ${mode === 'minio' ? 'MinIO transport (kesload -minio, HTTP/2)' : mode === 'keepalive' ? 'HTTP/1.1 keep-alive' : 'new TLS handshake per request'}\n`)
  console.log(`| op | callers | ${targets.map((t) => t.name).join(' | ')} | rate ratio | p99 ratio | others' CPU |`)
  console.log(`|---|---|${targets.map(() => '---').join('|')}|---|---|---|`)
  for (const op of ops) {
    for (const c of callers) {
      const cells: Record<string, Cell[]> = Object.fromEntries(targets.map((t) => [t.name, []]))
      const ratios: number[] = []
      const p99s: number[] = []
      for (let i = 0; i < repeat; i++) {
        // Alternate the order so neither server always runs right after the other's load.
        for (const t of i % 2 ? [...targets].reverse() : targets) cells[t.name]!.push(load(t, op, mode, c, seconds))
        ratios.push(cells.keyhold![i]!.ops / cells.kesref![i]!.ops)
        p99s.push(cells.keyhold![i]!.p99 / cells.kesref![i]!.p99)
      }
      console.log(`| ${op} | ${c} | ${targets.map((t) => fmt(cells[t.name]!)).join(' | ')} | ${median(ratios).toFixed(2)}x | ${median(p99s).toFixed(2)}x | ${Math.round(median(cells.keyhold!.map((x) => x.others)))}% |`)
    }
  }
  console.log('')
}

const soak = Number(values.soak)
if (soak > 0) {
  const cell = load(allTargets[0]!, 'generate', 'minio', 16, soak)
  const rss = childrenOf(keyhold.pid).map(rssMiB)
  console.log(`## ${soak}s MinIO-shaped generate soak at 16 callers: ${fmt([cell])}; resident memory per worker afterwards: ${rss.map((m) => `${m.toFixed(0)} MiB`).join(', ')} (primary CPU ${cpuMs(keyhold.pid)} ms)\n`)
}

ref.kill('SIGTERM')
await keyhold.stop()
await before?.stop()
await floor?.stop()
await h2Floor?.stop()
await cryptoFloor?.stop()
await h2CryptoFloor?.stop()
await nginx?.stop()
