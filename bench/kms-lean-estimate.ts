/**
 * What Keyhold would reach on an HTTP/1.1 layer of its own: Keyhold's real pipeline served over
 * node:tls by a minimal framing (bench/lib/lean-kms-server.ts, a measuring prototype) against the same
 * pipeline on node:https (`keyhold server --workers 1`), the tls floor and nginx, one process each, with
 * the load generator of kms-bench.ts (keep-alive, generate and decrypt).
 *
 *   node --import tsx bench/kms-lean-estimate.ts [--seconds 3] [--repeat 3] [--connections 16]
 *
 * One process per server, because the prototype runs Keyhold's pipeline without the cluster (the audit
 * is sealed in-process, as `keyhold server --workers 1` does). Bounded by seconds × repeat × cells.
 *
 * @module
 */
import { fork } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { testPki } from '../test/helpers/pki.js'
import { call, startKeyhold, writeBenchConfig } from './lib/keyhold.js'
import { runLoad } from './lib/load.js'
import { startNginx } from './lib/nginx.js'
import { startNodeFloor } from './lib/node-floor.js'
import { treeCpuMs } from './lib/proc.js'

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '3' }, repeat: { type: 'string', default: '3' }, connections: { type: 'string', default: '16' } } })
const seconds = Number(values.seconds)
const repeat = Number(values.repeat)
const connections = Number(values.connections)

const pki = await testPki()
const KEY = 'bench-key'
const allow = [`/v1/key/generate/${KEY}`, `/v1/key/decrypt/${KEY}`]
const dir = mkdtempSync(join(tmpdir(), 'keyhold-lean-'))
process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
const configFile = writeBenchConfig(pki, dir, '127.0.0.1:0', allow)
const lean = fork(new URL('./lib/lean-kms-server.ts', import.meta.url).pathname, [configFile, pki.dir], { execArgv: ['--import', 'tsx', ...(process.env.LEAN_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.LEAN_PROF}`] : [])] })
process.once('exit', () => lean.kill('SIGKILL'))
const leanPort = await new Promise<number>((resolve) => lean.once('message', (p) => resolve(p as number)))
const keyhold = await startKeyhold(pki, 1, allow)

for (const port of [leanPort, keyhold.port]) {
  const created = await call(port, pki, 'PUT', `/v1/key/create/${KEY}`)
  if (created.status !== 200) throw new Error(`create on ${port}: ${created.status} ${created.body}`)
}
const sample = await call(keyhold.port, pki, 'PUT', `/v1/key/generate/${KEY}`, '{}')
const ciphertext = (JSON.parse(sample.body) as { ciphertext: string }).ciphertext
const ops = [
  { name: 'generate', path: `/v1/key/generate/${KEY}`, bodies: { keyhold: '{}', lean: '{}' } },
  // Each server decrypts a ciphertext of its own key (the two keystores hold different keys).
  { name: 'decrypt', path: `/v1/key/decrypt/${KEY}`, bodies: {
    keyhold: JSON.stringify({ ciphertext }),
    lean: JSON.stringify({ ciphertext: (JSON.parse((await call(leanPort, pki, 'PUT', `/v1/key/generate/${KEY}`, '{}')).body) as { ciphertext: string }).ciphertext }),
  } },
]
const tls = { ca: pki.ca.certPem, cert: pki.clients.app.certPem, key: pki.clients.app.keyPem, servername: 'localhost' }
const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!

console.log(`# Keyhold on an HTTP/1.1 layer of its own (prototype) vs node:https: ${new Date().toISOString()}`)
console.log(`${cpus().length}× ${cpus()[0]?.model ?? '?'}, node ${process.version}; one process per server; ${connections} keep-alive connections, ${seconds}s cells, median of ${repeat} in shuffled order; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`)
console.log('| operation | server | ops/s | p50 ms | p99 ms | server CPU ms per op | share of nginx |')
console.log('|---|---|---|---|---|---|---|')
for (const op of ops) {
  const nginx = await startNginx({ certFile: pki.server.certFile, keyFile: pki.server.keyFile, caFile: pki.ca.certFile, body: sample.body.replace(/\n$/, ''), workers: 1 })
  const floor = await startNodeFloor(pki.dir, 1, sample.body, 'tls')
  const servers = [
    { name: 'keyhold on node:https', port: keyhold.port, cpu: keyhold.cpuMs, body: op.bodies.keyhold },
    { name: 'keyhold on its own HTTP/1.1 (prototype)', port: leanPort, cpu: () => treeCpuMs(lean.pid!), body: op.bodies.lean },
    { name: 'tls floor', port: floor.port, cpu: floor.cpuMs, body: op.bodies.keyhold },
    { name: 'nginx', port: nginx.port, cpu: nginx.cpuMs, body: op.bodies.keyhold },
  ]
  const runs = new Map<string, Array<{ ops: number; p50: number; p99: number; cpu: number }>>()
  for (let i = 0; i < repeat; i++) {
    for (const s of [...servers].sort(() => Math.random() - 0.5)) {
      const c0 = s.cpu()
      const r = await runLoad({ host: '127.0.0.1', port: s.port, tls, method: 'PUT', path: op.path, body: s.body }, { connections, durationMs: seconds * 1000, mode: 'keepalive' })
      const bad = Object.keys(r.statuses).filter((k) => k !== '200')
      if (bad.length > 0) throw new Error(`${s.name}: ${JSON.stringify(r.statuses)}`)
      // The load includes a warm-up before the measured window (see kms-bench.ts measure()).
      const served = r.ops * (1 + Math.min(1000, seconds * 200) / (seconds * 1000))
      const list = runs.get(s.name) ?? []
      list.push({ ops: r.opsPerSec, p50: r.p50Ms, p99: r.p99Ms, cpu: (s.cpu() - c0) / served })
      runs.set(s.name, list)
    }
  }
  const nginxOps = median(runs.get('nginx')!.map((r) => r.ops))
  for (const s of servers) {
    const l = runs.get(s.name)!
    const ops = median(l.map((r) => r.ops))
    console.log(`| ${op.name} | ${s.name} | ${Math.round(ops)} | ${median(l.map((r) => r.p50)).toFixed(2)} | ${median(l.map((r) => r.p99)).toFixed(2)} | ${median(l.map((r) => r.cpu)).toFixed(3)} | ${s.name === 'nginx' ? '' : `${Math.round((100 * ops) / nginxOps)}%`} |`)
  }
  await nginx.stop()
  await floor.stop()
}
await keyhold.stop()
const leanExited = new Promise((resolve) => lean.once('exit', resolve))
lean.kill('SIGTERM')
await leanExited
