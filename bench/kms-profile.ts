/**
 * Profiles one `keyhold server` process under generate load: starts it with --cpu-prof, drives
 * keep-alive generate at 16 connections, stops it and prints the functions with the most self
 * time. Shows where a request's time goes.
 *
 *   node --import tsx bench/kms-profile.ts [--seconds 5] [--op generate|decrypt] [--mode keepalive|handshake] [--compiled]
 *                                          [--workers N] [--top 30]
 *
 * --compiled runs the JavaScript build (as deployed), so no TypeScript loader shows in the profile.
 * --workers 2 profiles the cluster as deployed: the primary (audit chain, IPC) and one worker.
 *
 * @module
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { testPki } from '../test/helpers/pki.js'
import { call, startKeyhold } from './lib/keyhold.js'
import { runLoad } from './lib/load.js'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    op: { type: 'string', default: 'generate' },
    mode: { type: 'string', default: 'keepalive' },
    compiled: { type: 'boolean', default: false },
    workers: { type: 'string', default: '1' },
    top: { type: 'string', default: '30' },
  },
})
const top = Number(values.top)
const profDir = mkdtempSync(join(tmpdir(), 'keyhold-prof-'))
const pki = await testPki()
const KEY = 'bench-key'
const server = await startKeyhold(pki, Number(values.workers), [`/v1/key/generate/${KEY}`, `/v1/key/decrypt/${KEY}`], ['--cpu-prof', `--cpu-prof-dir=${profDir}`], values.compiled)
await call(server.port, pki, 'PUT', `/v1/key/create/${KEY}`)
const { ciphertext } = JSON.parse((await call(server.port, pki, 'PUT', `/v1/key/generate/${KEY}`, '{}')).body) as { ciphertext: string }
const app = pki.clients.app
const body = values.op === 'decrypt' ? JSON.stringify({ ciphertext }) : '{}'
const r = await runLoad(
  { host: '127.0.0.1', port: server.port, tls: { ca: pki.ca.certPem, cert: app.certPem, key: app.keyPem, servername: 'localhost' }, method: 'PUT', path: `/v1/key/${values.op}/${KEY}`, body },
  { connections: 16, durationMs: Number(values.seconds) * 1000, mode: values.mode as 'keepalive' | 'handshake' },
)
console.log(`${values.op} ${values.mode} @16: ${Math.round(r.opsPerSec)} ops/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms`, r.statuses)
await server.stop()

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount: number; children?: number[] }

/** summarise prints the functions of one profile with the most self and inclusive time. */
function summarise(file: string, title: string): void {
  const prof = JSON.parse(readFileSync(join(profDir, file), 'utf8')) as { nodes: Node[] }
  const total = prof.nodes.reduce((n, x) => n + x.hitCount, 0)
  const name = (f: Node['callFrame']): string => `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node_modules\/|src\/)/, '$1')}:${f.lineNumber + 1}`
  const byFn = new Map<string, number>()
  for (const n of prof.nodes) byFn.set(name(n.callFrame), (byFn.get(name(n.callFrame)) ?? 0) + n.hitCount)
  console.log(`\n## ${title}\n\nself time, top ${top} of ${total} samples:`)
  for (const [k, v] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`)

  // Inclusive time: a function's own samples plus everything it called (counted once per stack).
  const byId = new Map(prof.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const inclusive = new Map<string, number>()
  for (const n of prof.nodes) {
    if (n.hitCount === 0) continue
    const seen = new Set<string>()
    for (let id: number | undefined = n.id; id !== undefined; id = parent.get(id)) {
      const key = name(byId.get(id)!.callFrame)
      if (seen.has(key)) continue
      seen.add(key)
      inclusive.set(key, (inclusive.get(key) ?? 0) + n.hitCount)
    }
  }
  console.log(`\ninclusive time, top ${Math.round(top * 1.5)}:`)
  for (const [k, v] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, Math.round(top * 1.5))) console.log(`${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`)
}

// Profiles are named CPU.<date>.<time>.<pid>.<tid>.<seq>.cpuprofile.
const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'))
if (files.length === 0) throw new Error('no profile written')
const primary = files.find((f) => f.split('.')[3] === String(server.pid))
const worker = files.find((f) => f !== primary)
if (Number(values.workers) > 1 && primary) summarise(primary, 'primary')
summarise(worker ?? primary!, Number(values.workers) > 1 ? 'one worker' : 'the server process')
