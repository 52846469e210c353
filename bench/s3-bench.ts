/**
 * The keyhold-s3 benchmark: PUT and GET throughput of 1 MiB and 256 MiB objects and PUT ops/s of 4 KiB
 * objects with the AWS SDK (default checksums) at concurrency 1 and 8, against a real `keyhold-s3 server`
 * process over TLS; in the same run, curl PUT/GET of the same files to Debian's nginx with WebDAV over TLS
 * (the ceiling for bytes over TLS to disk); and the server's peak resident memory while a 1 GiB object
 * streams through (PUT and GET).
 *
 *   node --import tsx bench/s3-bench.ts [--big-mib 256] [--huge-mib 1024] [--small-count 400]
 *     [--big-only] [--conc 1,8] [--reps 2] [--no-sdk] [--no-small] [--no-rss]
 *     [--baseline DIR] [--cpu-prof DIR] [--compiled]
 *
 * --big-only skips the 1 MiB cells, --reps sets the big objects per connection, --no-sdk drives keyhold-s3
 * with curl only. --baseline DIR also runs the keyhold-s3 of another checkout (e.g. `git archive <commit>`
 * unpacked there, with a node_modules symlink) with curl in the same cells, interleaved with this one, for a
 * before/after under the same load. --cpu-prof DIR writes a V8 CPU profile of this checkout's server.
 * --compiled runs this checkout's server as deployed (tsc build, no TypeScript loader in its memory or its
 * hash worker's), which is what the memory goal is about.
 *
 * Prints a Markdown section for docs/performance.md. Every loop is bounded by counts.
 *
 * @module
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { copyFileSync, createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { Agent } from 'node:https'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { promisify } from 'node:util'
import { parseArgs } from 'node:util'
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { testPki } from '../test/helpers/pki.js'
import { compiledEntry } from './lib/keyhold.js'
import { treeCpuMs } from './lib/proc.js'
import { startDavNginx } from './s3-nginx.js'
import { startKeyholdS3, type S3Proc } from './s3-server.js'

const run = promisify(execFile)
const { values } = parseArgs({
  options: {
    'big-mib': { type: 'string', default: '256' },
    'huge-mib': { type: 'string', default: '1024' },
    'small-count': { type: 'string', default: '400' },
    'big-only': { type: 'boolean', default: false },
    conc: { type: 'string', default: '1,8' },
    reps: { type: 'string', default: '2' },
    'no-sdk': { type: 'boolean', default: false },
    'no-small': { type: 'boolean', default: false },
    'no-rss': { type: 'boolean', default: false },
    compiled: { type: 'boolean', default: false },
    baseline: { type: 'string' },
    'cpu-prof': { type: 'string' },
  },
})
const MiB = 1024 * 1024
const bigMiB = Number(values['big-mib'])
const hugeMiB = Number(values['huge-mib'])
const smallCount = Number(values['small-count'])
const concs = values.conc.split(',').map(Number)
const bigReps = Number(values.reps)
const useSdk = !values['no-sdk']
const USER = 'benchadmin'
const PASSWORD = 'bench-secret-123456'
const loads: number[] = [loadavg()[0]!]

const pki = await testPki()
const work = mkdtempSync(join(tmpdir(), 'keyhold-s3-bench-'))
// A failed run must not leave gigabytes of objects behind.
process.once('exit', () => rmSync(work, { recursive: true, force: true }))
const certs = join(work, 'certs')
mkdirSync(certs)
copyFileSync(pki.server.certFile, join(certs, 'public.crt'))
copyFileSync(pki.server.keyFile, join(certs, 'private.key'))
const files: Record<string, string> = {}
for (const [name, size] of [['1MiB', MiB], [`${bigMiB}MiB`, bigMiB * MiB], ['4KiB', 4096]] as const) {
  files[name] = join(work, name)
  writeFileSync(files[name], randomBytes(size))
}

const server = await startKeyholdS3({
  root: process.cwd(), dataDir: join(work, 'data'), certsDir: certs, user: USER, password: PASSWORD,
  nodeFlags: values['cpu-prof'] !== undefined ? ['--cpu-prof', '--cpu-prof-dir', resolve(values['cpu-prof'])] : [],
  entry: values.compiled ? compiledEntry('keyhold-s3') : undefined,
})
const before: S3Proc | undefined = values.baseline === undefined ? undefined : await startKeyholdS3({
  root: resolve(values.baseline), dataDir: join(work, 'data-before'), certsDir: certs, user: USER, password: PASSWORD,
})
const url = server.url
const nginx = await startDavNginx(pki.server.certFile, pki.server.keyFile)

const sdkAgent = new Agent({ ca: pki.ca.certPem, keepAlive: true, maxSockets: 16 })
const s3 = new S3Client({
  endpoint: url, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1,
  credentials: { accessKeyId: USER, secretAccessKey: PASSWORD },
  requestHandler: { httpsAgent: sdkAgent },
})
// The curl cells leave the SDK's connections idle for seconds; one reused just as the server's 5 s idle
// timeout closes it fails the (non-retryable, streaming) PUT. Each SDK cell starts on fresh connections.
const freshSdkConnections = (): void => sdkAgent.destroy()
await s3.send(new CreateBucketCommand({ Bucket: 'bench' }))
const curlBase = ['-sS', '-f', '--cacert', pki.ca.certFile, '-o', '/dev/null']
// The same client as for nginx, signing with its own SigV4: separates the server's cost from the SDK's.
const curlSign = ['--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', `${USER}:${PASSWORD}`, '-H', 'x-amz-content-sha256: UNSIGNED-PAYLOAD']
if (before !== undefined) await run('curl', [...curlBase, ...curlSign, '-X', 'PUT', `${before.url}/bench`])

const sink = (): Writable => new Writable({ write: (_c, _e, cb) => cb() })

async function sdkPut(file: string, key: string, size: number): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: 'bench', Key: key, Body: createReadStream(file, { highWaterMark: MiB }), ContentLength: size }))
}
async function sdkGet(key: string): Promise<void> {
  const got = await s3.send(new GetObjectCommand({ Bucket: 'bench', Key: key }))
  await pipeline(got.Body as NodeJS.ReadableStream, sink())
}
async function curlPutNginx(file: string, name: string): Promise<void> {
  await run('curl', [...curlBase, '-T', file, `${nginx.url}/${name}`])
}
async function curlGet(name: string): Promise<void> {
  await run('curl', [...curlBase, `${nginx.url}/${name}`])
}
async function curlS3Put(base: string, file: string, key: string): Promise<void> {
  await run('curl', [...curlBase, ...curlSign, '-T', file, `${base}/bench/${key}`])
}
async function curlS3Get(base: string, key: string): Promise<void> {
  await run('curl', [...curlBase, ...curlSign, `${base}/bench/${key}`])
}

/** timed runs `count` operations at `concurrency`, returning seconds. */
async function timed(count: number, concurrency: number, op: (i: number) => Promise<void>): Promise<number> {
  let next = 0
  const start = process.hrtime.bigint()
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) await op(next++)
  }))
  return Number(process.hrtime.bigint() - start) / 1e9
}

/** cpuTimed is {@link timed} plus the CPU milliseconds `pid` used meanwhile. */
async function cpuTimed(pid: number, count: number, concurrency: number, op: (i: number) => Promise<void>): Promise<{ s: number; cpuMs: number }> {
  const cpu0 = treeCpuMs(pid)
  const s = await timed(count, concurrency, op)
  return { s, cpuMs: treeCpuMs(pid) - cpu0 }
}

const rows: string[][] = []
const cmpRows: string[][] = []
const cpuRows: string[][] = []
const mbps = (bytes: number, s: number): number => Math.round(bytes / s / 1e6)
const pct = (a: number, b: number): string => `${Math.round((100 * a) / b)}%`
const dash = '–'

const cells: Array<readonly [string, string, number, number]> = [
  ...(values['big-only'] ? [] : [['1 MiB', files['1MiB']!, MiB, 64] as const]),
  [`${bigMiB} MiB`, files[`${bigMiB}MiB`]!, bigMiB * MiB, bigReps] as const,
]
for (const [label, file, size, reps] of cells) {
  for (const c of concs) {
    const count = reps * c
    const m = (s: number): number => mbps(size * count, s)
    // CPU seconds the server spent per GiB moved: the load-proof measure on a shared machine.
    const cpuPerGiB = (ms: number): string => (ms / 1000 / ((size * count) / 1024 ** 3)).toFixed(2)
    const tag = `${label.replace(' ', '')}-${c}`
    freshSdkConnections()
    const keyPut = useSdk ? await timed(count, c, (i) => sdkPut(file, `${tag}-${i}`, size)) : NaN
    const keyGet = useSdk ? await timed(count, c, (i) => sdkGet(`${tag}-${i}`)) : NaN
    // nginx, then the baseline, then this checkout: each PUT cell right after the others, under the same load.
    const ngPut = await cpuTimed(nginx.pid, count, c, (i) => curlPutNginx(file, `${c}-${i}-${size}`))
    const bPut = before && await cpuTimed(before.pid, count, c, (i) => curlS3Put(before.url, file, `curl-${tag}-${i}`))
    const cPut = await cpuTimed(server.pid, count, c, (i) => curlS3Put(url, file, `curl-${tag}-${i}`))
    const ngGet = await cpuTimed(nginx.pid, count, c, (i) => curlGet(`${c}-${i}-${size}`))
    const bGet = before && await cpuTimed(before.pid, count, c, (i) => curlS3Get(before.url, `curl-${tag}-${i}`))
    const cGet = await cpuTimed(server.pid, count, c, (i) => curlS3Get(url, `curl-${tag}-${i}`))
    loads.push(loadavg()[0]!)
    rows.push([label, String(c), useSdk ? String(m(keyPut)) : dash, String(m(cPut.s)), String(m(ngPut.s)), pct(m(cPut.s), m(ngPut.s)),
      useSdk ? String(m(keyGet)) : dash, String(m(cGet.s)), String(m(ngGet.s)), pct(m(cGet.s), m(ngGet.s))])
    cpuRows.push([label, String(c), cpuPerGiB(cPut.cpuMs), cpuPerGiB(ngPut.cpuMs), cpuPerGiB(cGet.cpuMs), cpuPerGiB(ngGet.cpuMs)])
    if (bPut && bGet) {
      cmpRows.push([label, String(c),
        `${m(bPut.s)} (${pct(m(bPut.s), m(ngPut.s))})`, `${m(cPut.s)} (${pct(m(cPut.s), m(ngPut.s))})`, `${cpuPerGiB(bPut.cpuMs)} → ${cpuPerGiB(cPut.cpuMs)}`,
        `${m(bGet.s)} (${pct(m(bGet.s), m(ngGet.s))})`, `${m(cGet.s)} (${pct(m(cGet.s), m(ngGet.s))})`, `${cpuPerGiB(bGet.cpuMs)} → ${cpuPerGiB(cGet.cpuMs)}`])
    }
  }
}

const smallRows: string[][] = []
if (!values['no-small']) {
  const small = readFileSync(files['4KiB']!)
  for (const c of concs) {
    freshSdkConnections()
    const s = await timed(smallCount, c, (i) => s3.send(new PutObjectCommand({ Bucket: 'bench', Key: `small-${c}-${i}`, Body: small })).then(() => undefined))
    const n = await timed(Math.min(smallCount, 200), c, (i) => curlPutNginx(files['4KiB']!, `small-${c}-${i}`))
    smallRows.push([String(c), (smallCount / s).toFixed(0), (Math.min(smallCount, 200) / n).toFixed(0)])
  }
}

/** peakRss samples a process's resident memory (MiB) while op runs. */
async function peakRss(pid: number, op: () => Promise<void>): Promise<number> {
  let peak = 0
  const sample = (): void => {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    if (m !== null) peak = Math.max(peak, Number(m[1]) / 1024)
  }
  const timer = setInterval(sample, 50)
  try {
    await op()
  } finally {
    clearInterval(timer)
    sample()
  }
  return peak
}
let rss: { put: number; get: number } | undefined
if (!values['no-rss']) {
  const hugeFile = join(work, 'huge')
  writeFileSync(hugeFile, '')
  for (let i = 0; i < hugeMiB / 64; i++) writeFileSync(hugeFile, randomBytes(64 * MiB), { flag: 'a' })
  rss = {
    put: await peakRss(server.pid, () => (freshSdkConnections(), sdkPut(hugeFile, 'huge', hugeMiB * MiB))),
    get: await peakRss(server.pid, () => sdkGet('huge')),
  }
}

s3.destroy()
await server.stop()
await before?.stop()
await nginx.stop()
rmSync(work, { recursive: true, force: true })

const table = (head: string[], body: string[][]): string =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n')
const out = [`### keyhold-s3 vs nginx WebDAV over TLS (${cpus().length} × ${cpus()[0]?.model ?? 'cpu'})

${new Date().toISOString()}; 1-minute load average during the run: ${loads.map((l) => l.toFixed(1)).join(', ')}.
Throughput in MB/s (10^6 bytes/s) over TLS on loopback, same files. keyhold-s3 is driven by the AWS SDK v3
(default CRC32 checksums, streaming bodies) and by curl (its own SigV4, UNSIGNED-PAYLOAD); nginx by curl.

${table(['object', 'conc.', 'PUT SDK', 'PUT curl', 'PUT nginx', 'curl/nginx', 'GET SDK', 'GET curl', 'GET nginx', 'curl/nginx'], rows)}

Server CPU seconds (all threads and processes, user + system) per GiB moved, curl cells:

${table(['object', 'conc.', 'PUT keyhold-s3', 'PUT nginx', 'GET keyhold-s3', 'GET nginx'], cpuRows)}
`]
if (cmpRows.length > 0) {
  out.push(`Before (${values.baseline}) and after, both with curl, each cell right after nginx's; MB/s (share of nginx),
and the server's CPU seconds per GiB moved:

${table(['object', 'conc.', 'PUT before', 'PUT after', 'PUT CPU s/GiB', 'GET before', 'GET after', 'GET CPU s/GiB'], cmpRows)}
`)
}
if (smallRows.length > 0) {
  out.push(`4 KiB PUTs per second:

${table(['concurrency', 'keyhold-s3 (AWS SDK)', 'nginx (curl, one process per PUT)'], smallRows)}
`)
}
if (rss !== undefined) {
  out.push(`Peak resident memory of the keyhold-s3 server while a ${hugeMiB} MiB object streams through (${values.compiled ? 'compiled JavaScript' : 'sources through tsx'}): PUT ${rss.put.toFixed(0)} MiB, GET ${rss.get.toFixed(0)} MiB.
`)
}
console.log(out.join('\n'))
