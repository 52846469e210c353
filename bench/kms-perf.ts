/**
 * Where one Keyhold worker's CPU goes under MinIO's transport: `keyhold server --workers 1` (or N, run
 * with --perf-basic-prof so JavaScript frames have names) under `kesload -minio`, sampled with
 * `perf record -e cpu-clock` on the worker, and the samples grouped by where they are spent
 * (kernel, malloc, V8 builtins, nghttp2, OpenSSL, Keyhold's JavaScript, Node's HTTP/2 JavaScript, ...).
 *
 *   node --import tsx bench/kms-perf.ts [--compiled | --baseline <git rev>] [--op generate|decrypt]
 *        [--mode minio|keepalive|newconn] [--callers 16] [--seconds 7] [--kesload PATH] [--top 25] [--graph] [--client-timeout 10s|0] [--workers N]
 *
 * Needs Linux perf and the kesload binary (../shared/tools/README.md). Prints kesload's figures,
 * the server's CPU per request, the groups and the hottest symbols. Bounded by --seconds.
 *
 * @module
 */
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { testPki } from '../test/helpers/pki.js'
import { baselineEntry, call, startKeyhold } from './lib/keyhold.js'
import { childrenOf, cpuMs } from './lib/proc.js'

const root = new URL('../', import.meta.url).pathname
const { values } = parseArgs({
  options: {
    compiled: { type: 'boolean', default: false },
    baseline: { type: 'string' },
    op: { type: 'string', default: 'generate' },
    // minio (kms-go's HTTP/2 transport), keepalive (HTTP/1.1) or newconn (a TLS handshake per request).
    mode: { type: 'string', default: 'minio' },
    callers: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '7' },
    kesload: { type: 'string', default: join(root, 'test/.tmp/kesload') },
    top: { type: 'string', default: '25' },
    // Also record call graphs and keep perf.data (its path is printed) for `perf report -G`.
    graph: { type: 'boolean', default: false },
    // kesload's per-request timeout; 0 keeps Go (before 1.23) from cancelling dials (kms-go-bench.ts).
    'client-timeout': { type: 'string', default: '10s' },
    // With more than one, the server runs as deployed (a primary and N worker processes) and the first worker is sampled.
    workers: { type: 'string', default: '1' },
  },
})

const pki = await testPki()
const KEY = 'bench-key'
const entry = values.baseline ? baselineEntry(values.baseline) : values.compiled
const server = await startKeyhold(pki, Number(values.workers), [`/v1/key/generate/${KEY}`, `/v1/key/decrypt/${KEY}`], ['--perf-basic-prof'], entry)
await call(server.port, pki, 'PUT', `/v1/key/create/${KEY}`)
const workers = childrenOf(server.pid)
const pids = workers.length > 0 ? workers : [server.pid]
const out = join(mkdtempSync(join(tmpdir(), 'keyhold-perf-')), 'perf.data')
const app = pki.clients.app
const seconds = Number(values.seconds)

// kesload warms up for 2 s; perf samples the measured window only.
const load = spawn(values.kesload, ['-url', `https://127.0.0.1:${server.port}`, '-cert', app.certFile, '-key', app.keyFile, '-cacert', pki.ca.certFile,
  '-mode', values.op, '-key-name', KEY, '-c', values.callers, '-d', `${seconds}s`, '-warmup', '2s', '-timeout', values['client-timeout'], ...(values.mode === 'minio' ? ['-minio'] : values.mode === 'newconn' ? ['-newconn'] : []), '-pids', pids.join(',')], { stdio: ['ignore', 'pipe', 'inherit'] })
let loadOut = ''
load.stdout.on('data', (d: Buffer) => (loadOut += d.toString()))
const loaded = new Promise<void>((resolve) => load.once('exit', () => resolve()))
const before = new Map(pids.map((pid) => [pid, cpuMs(pid)]))
await new Promise((r) => setTimeout(r, 2000))
// Sample the busiest worker: one HTTP/2 connection (MinIO's, for decrypt) lands on one worker only.
const worker = pids.reduce((a, b) => (cpuMs(b) - before.get(b)! > cpuMs(a) - before.get(a)! ? b : a))
execFileSync('perf', ['record', '-q', '-e', 'cpu-clock', '-F', '999', ...(values.graph ? ['-g'] : []), '-p', String(worker), '-o', out, '--', 'sleep', String(seconds - 1)], { stdio: 'inherit' })
await loaded
await server.stop()

const r = JSON.parse(loadOut.trim().split('\n').pop()!) as Record<string, number>
const cpuMsPerReq = ((r.server_cpu_pct! / 100) * r.seconds! * 1000) / r.requests!
console.log(`# ${values.op}, kesload ${values.mode} -c ${values.callers}, ${Number(values.workers) > 1 ? `the busiest of ${values.workers} workers sampled (CPU per request: all workers)` : 'one worker'}${values.baseline ? ` (${values.baseline})` : values.compiled ? ' (compiled)' : ''}: ${new Date().toISOString()}`)
if (values.graph) console.log(`call graphs in ${out} (perf report -i ${out} --children -G)`)
console.log(`${Math.round(r.ops_per_s!)} ops/s, p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms, ${r.tcp_dials_total} TCP dials, ${pids.length > 1 ? 'workers\'' : 'worker'} CPU ${r.server_cpu_pct!.toFixed(0)}% = ${cpuMsPerReq.toFixed(3)} ms per request\n`)

// ';'-separated: JIT code's dso is "[JIT] tid N", with spaces.
const report = execFileSync('perf', ['report', '-i', out, '--no-children', '--sort', 'dso,sym', '--stdio', '-q', '-g', 'none', '-t', ';'], { encoding: 'utf8', maxBuffer: 256 << 20 })
const rows: Array<{ pct: number; dso: string; sym: string }> = []
for (const line of report.split('\n')) {
  const [pct, dso, sym] = line.split(';')
  if (pct === undefined || dso === undefined || sym === undefined || !pct.includes('%')) continue
  rows.push({ pct: parseFloat(pct), dso: dso.trim(), sym: sym.trim().replace(/^\[.\]\s*/, '') })
}

/** group names where a sample is spent. */
function group({ dso, sym }: { dso: string; sym: string }): string {
  if (dso.includes('kernel')) return 'kernel'
  if (dso.startsWith('libc')) return /malloc|free|calloc|realloc|_int_|tcache/.test(sym) ? 'malloc/free (libc)' : 'libc, other'
  if (dso.startsWith('[JIT]') || /^(JS|LazyCompile|Function|Builtin|BytecodeHandler|Stub|RegExp|Script|InterpretedFunction):/.test(sym)) {
    if (/^(Builtin|BytecodeHandler|Stub):/.test(sym)) return 'V8 builtins, interpreter, stubs'
    if (/\/src\/kms\/|\/backends\//.test(sym)) return 'Keyhold JavaScript'
    if (/node:internal\/http2/.test(sym)) return 'Node HTTP/2 JavaScript'
    if (/node:/.test(sym)) return 'Node JavaScript, other'
    return 'JavaScript, other'
  }
  if (/nghttp2|node::http2/.test(sym)) return 'nghttp2 + Node HTTP/2 native'
  if (/^(ssl|SSL|tls|EVP|evp|ossl|OPENSSL|CRYPTO|BN_|bn_|aes|AES|gcm|GCM|sha|SHA|HMAC|hmac|ec_|EC_|ecp_|RAND|rand_|ERR_|OBJ_|ASN1|asn1|x25519|ChaCha|Poly|poly|chacha|md_|BIO|bio|OSSL|aesni|_aesni)/.test(sym)) return 'OpenSSL'
  if (/v8::internal::.*(Heap|Scaveng|Mark|Sweep|Evacuat|MemoryChunk|MemoryAllocator|GC|Space::|Page::)/.test(sym)) return 'V8 heap: allocation and garbage collection'
  if (/v8::internal::(compiler|maglev|Maglev|baseline|Compiler|Turbofan)/.test(sym)) return 'V8 compilers'
  if (/v8::|Builtins_|v8_/.test(sym)) return /Builtins_/.test(sym) ? 'V8 builtins, interpreter, stubs' : 'V8 runtime (C++)'
  if (/^uv_|uv__/.test(sym)) return 'libuv'
  if (/node::/.test(sym)) return 'Node native, other'
  return `other (${dso})`
}

const groups = new Map<string, number>()
for (const row of rows) groups.set(group(row), (groups.get(group(row)) ?? 0) + row.pct)
console.log('| where | share of the worker\'s samples |\n|---|---|')
for (const [g, pct] of [...groups].sort((a, b) => b[1] - a[1])) console.log(`| ${g} | ${pct.toFixed(1)}% |`)
console.log(`\nhottest symbols:`)
for (const row of rows.slice(0, Number(values.top))) console.log(`${row.pct.toFixed(2).padStart(6)}%  ${row.dso}  ${row.sym.slice(0, 140)}`)
