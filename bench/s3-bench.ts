/**
 * The keyhold-s3 benchmark: PUT and GET throughput of 1 MiB and 256 MiB objects and PUT ops/s of 4 KiB
 * objects with the AWS SDK (default checksums) at concurrency 1 and 8, against a real `keyhold-s3 server`
 * process over TLS; in the same run, curl PUT/GET of the same files to Debian's nginx with WebDAV over TLS
 * (the ceiling for bytes over TLS to disk); and the server's peak resident memory while a 1 GiB object
 * streams through (PUT and GET).
 *
 *   node --import tsx bench/s3-bench.ts [--big-mib 256] [--huge-mib 1024] [--small-count 400]
 *
 * Prints a Markdown section for docs/performance.md. Every loop is bounded by counts.
 *
 * @module
 */
import { execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { copyFileSync, createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { Agent } from 'node:https'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { promisify } from 'node:util'
import { parseArgs } from 'node:util'
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { testPki } from '../test/helpers/pki.js'
import { startDavNginx } from './s3-nginx.js'

const run = promisify(execFile)
const { values } = parseArgs({
  options: {
    'big-mib': { type: 'string', default: '256' },
    'huge-mib': { type: 'string', default: '1024' },
    'small-count': { type: 'string', default: '400' },
  },
})
const MiB = 1024 * 1024
const bigMiB = Number(values['big-mib'])
const hugeMiB = Number(values['huge-mib'])
const smallCount = Number(values['small-count'])
const USER = 'benchadmin'
const PASSWORD = 'bench-secret-123456'

const pki = await testPki()
const work = mkdtempSync(join(tmpdir(), 'keyhold-s3-bench-'))
const certs = join(work, 'certs')
mkdirSync(certs)
copyFileSync(pki.server.certFile, join(certs, 'public.crt'))
copyFileSync(pki.server.keyFile, join(certs, 'private.key'))
const files: Record<string, string> = {}
for (const [name, size] of [['1MiB', MiB], [`${bigMiB}MiB`, bigMiB * MiB], ['4KiB', 4096]] as const) {
  files[name] = join(work, name)
  writeFileSync(files[name], randomBytes(size))
}

const proc = spawn(process.execPath, ['bin/keyhold-s3.js', 'server', join(work, 'data'), '--address', '127.0.0.1:0', '--certs-dir', certs], {
  env: { ...process.env, KEYHOLD_FROM_SOURCE: '1', MINIO_ROOT_USER: USER, MINIO_ROOT_PASSWORD: PASSWORD },
  stdio: ['ignore', 'pipe', 'inherit'],
})
// A failed run must not leave the server behind.
process.once('exit', () => proc.kill('SIGKILL'))
const url = await new Promise<string>((resolve, reject) => {
  let out = ''
  const timer = setTimeout(() => reject(new Error('keyhold-s3 did not start')), 60_000)
  proc.stdout!.on('data', (c: Buffer) => {
    out += c.toString()
    const m = /serving the S3 API at (\S+)/.exec(out)
    if (m !== null) {
      clearTimeout(timer)
      resolve(m[1]!)
    }
  })
})
const nginx = await startDavNginx(pki.server.certFile, pki.server.keyFile)

const s3 = new S3Client({
  endpoint: url, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1,
  credentials: { accessKeyId: USER, secretAccessKey: PASSWORD },
  requestHandler: { httpsAgent: new Agent({ ca: pki.ca.certPem, keepAlive: true, maxSockets: 16 }) },
})
await s3.send(new CreateBucketCommand({ Bucket: 'bench' }))

const sink = (): Writable => new Writable({ write: (_c, _e, cb) => cb() })

async function sdkPut(file: string, key: string, size: number): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: 'bench', Key: key, Body: createReadStream(file, { highWaterMark: MiB }), ContentLength: size }))
}
async function sdkGet(key: string): Promise<void> {
  const got = await s3.send(new GetObjectCommand({ Bucket: 'bench', Key: key }))
  await pipeline(got.Body as NodeJS.ReadableStream, sink())
}
async function curlPutNginx(file: string, name: string): Promise<void> {
  await run('curl', ['-sS', '-f', '--cacert', pki.ca.certFile, '-T', file, '-o', '/dev/null', `${nginx.url}/${name}`])
}
async function curlGet(name: string): Promise<void> {
  await run('curl', ['-sS', '-f', '--cacert', pki.ca.certFile, '-o', '/dev/null', `${nginx.url}/${name}`])
}
// The same client as for nginx, signing with its own SigV4: separates the server's cost from the SDK's.
const curlSign = ['--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', `${USER}:${PASSWORD}`, '-H', 'x-amz-content-sha256: UNSIGNED-PAYLOAD']
async function curlS3Put(file: string, key: string): Promise<void> {
  await run('curl', ['-sS', '-f', '--cacert', pki.ca.certFile, ...curlSign, '-T', file, '-o', '/dev/null', `${url}/bench/${key}`])
}
async function curlS3Get(key: string): Promise<void> {
  await run('curl', ['-sS', '-f', '--cacert', pki.ca.certFile, ...curlSign, '-o', '/dev/null', `${url}/bench/${key}`])
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

const rows: string[][] = []
const mbps = (bytes: number, s: number): string => (bytes / s / 1e6).toFixed(0)

for (const [label, file, size, reps] of [['1 MiB', files['1MiB']!, MiB, 64], [`${bigMiB} MiB`, files[`${bigMiB}MiB`]!, bigMiB * MiB, 2]] as const) {
  for (const c of [1, 8]) {
    const count = reps * c
    const keyPut = await timed(count, c, (i) => sdkPut(file, `${label}-${c}-${i}`, size))
    const keyGet = await timed(count, c, (i) => sdkGet(`${label}-${c}-${i}`))
    const curlPut = await timed(count, c, (i) => curlS3Put(file, `curl-${label.replace(' ', '')}-${c}-${i}`))
    const curlGetS = await timed(count, c, (i) => curlS3Get(`curl-${label.replace(' ', '')}-${c}-${i}`))
    const ngPut = await timed(count, c, (i) => curlPutNginx(file, `${c}-${i}-${size}`))
    const ngGet = await timed(count, c, (i) => curlGet(`${c}-${i}-${size}`))
    const m = (s: number): number => Number(mbps(size * count, s))
    const pct = (a: number, b: number): string => `${Math.round((100 * a) / b)}%`
    rows.push([label, String(c), String(m(keyPut)), String(m(curlPut)), String(m(ngPut)), pct(m(curlPut), m(ngPut)),
      String(m(keyGet)), String(m(curlGetS)), String(m(ngGet)), pct(m(curlGetS), m(ngGet))])
  }
}

const smallRows: string[][] = []
const small = readFileSync(files['4KiB']!)
for (const c of [1, 8]) {
  const s = await timed(smallCount, c, (i) => s3.send(new PutObjectCommand({ Bucket: 'bench', Key: `small-${c}-${i}`, Body: small })).then(() => undefined))
  const n = await timed(Math.min(smallCount, 200), c, (i) => curlPutNginx(files['4KiB']!, `small-${c}-${i}`))
  smallRows.push([String(c), (smallCount / s).toFixed(0), (Math.min(smallCount, 200) / n).toFixed(0)])
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
const hugeFile = join(work, 'huge')
writeFileSync(hugeFile, '')
for (let i = 0; i < hugeMiB / 64; i++) writeFileSync(hugeFile, randomBytes(64 * MiB), { flag: 'a' })
// bin/keyhold-s3.js runs the server in its own process (tsx registers in-process).
const serverPid = proc.pid!
const rssPut = await peakRss(serverPid, () => sdkPut(hugeFile, 'huge', hugeMiB * MiB))
const rssGet = await peakRss(serverPid, () => sdkGet('huge'))

s3.destroy()
proc.kill('SIGTERM')
await nginx.stop()
rmSync(work, { recursive: true, force: true })

const table = (head: string[], body: string[][]): string =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n')
console.log(`### keyhold-s3 vs nginx WebDAV over TLS (${cpus().length} × ${cpus()[0]?.model ?? 'cpu'})

Throughput in MB/s (10^6 bytes/s) over TLS on loopback, same files. keyhold-s3 is driven by the AWS SDK v3
(default CRC32 checksums, streaming bodies) and by curl (its own SigV4, UNSIGNED-PAYLOAD); nginx by curl.

${table(['object', 'conc.', 'PUT SDK', 'PUT curl', 'PUT nginx', 'curl/nginx', 'GET SDK', 'GET curl', 'GET nginx', 'curl/nginx'], rows)}

4 KiB PUTs per second:

${table(['concurrency', 'keyhold-s3 (AWS SDK)', 'nginx (curl, one process per PUT)'], smallRows)}

Peak resident memory of the keyhold-s3 server while a ${hugeMiB} MiB object streams through: PUT ${rssPut.toFixed(0)} MiB, GET ${rssGet.toFixed(0)} MiB.
`)
