/**
 * What the platform allows a Node S3 server on this machine, beside what keyhold-s3 and nginx spend on the
 * same upload: the floors under the 256 MiB PUT goal of docs/performance.md, measured in one run.
 *
 *   node --import tsx bench/s3-floors.ts [--mib 256] [--reps 3] [--compiled]
 *
 * - node:https receiving the body and discarding it, driven by curl (the client nginx and keyhold-s3 get);
 * - node:tls receiving a raw stream and discarding it, driven by a node:tls client;
 * - MD5 (the S3 ETag) and SHA-256 throughput of node:crypto on one core;
 * - writing the file as keyhold-s3 does (512 KiB positional writes, fdatasync every 32 MiB, final fsync)
 *   and without any sync (as nginx's WebDAV PUT does);
 * - for reference, curl PUT of the same file to keyhold-s3 and to nginx WebDAV.
 *
 * Every figure is CPU seconds per GiB (server process tree, user + system, from /proc) and MB/s. Bounded by
 * --reps; everything runs on loopback and temporary files are removed at exit.
 *
 * @module
 */
import { execFile, fork, spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs, promisify } from 'node:util'
import { testPki } from '../test/helpers/pki.js'
import { compiledEntry } from './lib/keyhold.js'
import { treeCpuMs } from './lib/proc.js'
import { startDavNginx } from './s3-nginx.js'
import { startKeyholdS3 } from './s3-server.js'

const run = promisify(execFile)
const { values } = parseArgs({ options: { mib: { type: 'string', default: '256' }, reps: { type: 'string', default: '3' }, compiled: { type: 'boolean', default: false } } })
const MiB = 1024 * 1024
const size = Number(values.mib) * MiB
const reps = Math.max(1, Number(values.reps))
const GiB = 1024 * MiB

const pki = await testPki()
const work = mkdtempSync(join(tmpdir(), 'keyhold-s3-floors-'))
process.once('exit', () => rmSync(work, { recursive: true, force: true }))
const file = join(work, 'body')
writeFileSync(file, randomBytes(size))

interface Row { name: string; mbs: number[]; cpuPerGiB: number[] }
const rows: Row[] = []
const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!

/** measure runs op reps times, charging `cpu()` (ms) to the bytes moved. */
async function measure(name: string, cpu: () => number, op: () => Promise<void>): Promise<void> {
  const row: Row = { name, mbs: [], cpuPerGiB: [] }
  for (let i = 0; i < reps; i++) {
    const c0 = cpu()
    const t0 = process.hrtime.bigint()
    await op()
    const s = Number(process.hrtime.bigint() - t0) / 1e9
    row.mbs.push(size / 1e6 / s)
    row.cpuPerGiB.push(((cpu() - c0) / 1000) * (GiB / size))
  }
  rows.push(row)
}

async function floorServer(layer: 'https' | 'tls'): Promise<{ port: number; pid: number; stop: () => void }> {
  const child = fork(new URL('./lib/upload-floor-server.ts', import.meta.url).pathname, [layer, pki.server.certFile, pki.server.keyFile], { execArgv: ['--import', 'tsx'] })
  process.once('exit', () => child.kill('SIGKILL'))
  const port = await new Promise<number>((resolve) => child.once('message', (p) => resolve(p as number)))
  return { port, pid: child.pid!, stop: () => child.kill('SIGKILL') }
}

const curl = ['-sS', '-f', '--cacert', pki.ca.certFile, '-o', '/dev/null']
const https = await floorServer('https')
await measure('node:https, body discarded (curl)', () => treeCpuMs(https.pid), async () => void (await run('curl', [...curl, '-T', file, `https://localhost:${https.port}/x`])))
https.stop()

const tls = await floorServer('tls')
const tlsClient = `const t=require('node:tls'),f=require('node:fs');const s=t.connect(${tls.port},'localhost',{ca:f.readFileSync(${JSON.stringify(pki.ca.certFile)})},()=>f.createReadStream(${JSON.stringify(file)}).pipe(s));s.on('end',()=>process.exit(0));s.resume()`
await measure('node:tls, raw stream discarded (node:tls client)', () => treeCpuMs(tls.pid), () => new Promise((resolve, reject) => {
  spawn(process.execPath, ['-e', tlsClient], { stdio: 'inherit' }).once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tls client exited ${code}`))))
}))
tls.stop()

const selfCpu = (): number => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}
const body = Buffer.alloc(64 * MiB, 7)
for (const algorithm of ['md5', 'sha256']) {
  await measure(`${algorithm.toUpperCase()} of node:crypto, one core`, selfCpu, async () => {
    const h = createHash(algorithm)
    for (let done = 0; done < size; done += body.length) h.update(body.subarray(0, Math.min(body.length, size - done)))
    h.digest()
  })
}

/** writeFile writes `size` bytes in 512 KiB positional writes, optionally syncing as keyhold-s3's writer does. */
async function writeFile(target: string, sync: boolean): Promise<void> {
  const chunk = randomBytes(512 * 1024)
  const fh = await open(target, 'w')
  let pending: Promise<void> | undefined
  for (let pos = 0, since = 0; pos < size; pos += chunk.length, since += chunk.length) {
    await fh.write(chunk, 0, chunk.length, pos)
    if (sync && since >= 32 * MiB && pending === undefined) {
      since = 0
      pending = fh.datasync().finally(() => (pending = undefined))
    }
  }
  await pending
  if (sync) await fh.sync()
  await fh.close()
  rmSync(target)
}
// libuv runs these writes on its pool, whose CPU this process's /proc figures include.
const procCpu = (): number => treeCpuMs(process.pid)
await measure('file write, fdatasync every 32 MiB + fsync (keyhold-s3)', procCpu, () => writeFile(join(work, 'w1'), true))
await measure('file write, no sync (nginx)', procCpu, () => writeFile(join(work, 'w2'), false))

const certs = join(work, 'certs')
mkdirSync(certs)
copyFileSync(pki.server.certFile, join(certs, 'public.crt'))
copyFileSync(pki.server.keyFile, join(certs, 'private.key'))
const user = 'benchadmin'
const password = 'bench-secret-123456'
const s3 = await startKeyholdS3({ root: process.cwd(), dataDir: join(work, 'data'), certsDir: certs, user, password, entry: values.compiled ? compiledEntry('keyhold-s3') : undefined })
const sign = ['--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', `${user}:${password}`, '-H', 'x-amz-content-sha256: UNSIGNED-PAYLOAD']
await run('curl', [...curl, ...sign, '-X', 'PUT', `${s3.url}/bench`])
let n = 0
await measure('keyhold-s3 PUT (curl)', () => treeCpuMs(s3.pid), async () => void (await run('curl', [...curl, ...sign, '-T', file, `${s3.url}/bench/o${n++}`])))
await s3.stop()
const nginx = await startDavNginx(pki.server.certFile, pki.server.keyFile)
await measure('nginx WebDAV PUT (curl)', () => treeCpuMs(nginx.pid), async () => void (await run('curl', [...curl, '-T', file, `${nginx.url}/o${n++}`])))
await nginx.stop()

console.log(`### Upload floors (${cpus().length} × ${cpus()[0]?.model ?? '?'}, node ${process.version})\n`)
console.log(`${new Date().toISOString()}; ${values.mib} MiB, median of ${reps}; load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')}${values.compiled ? '; keyhold-s3 compiled' : ''}\n`)
console.log('| what | MB/s | CPU s per GiB |')
console.log('|---|---|---|')
for (const r of rows) console.log(`| ${r.name} | ${median(r.mbs).toFixed(0)} | ${median(r.cpuPerGiB).toFixed(2)} |`)
