/**
 * The SSE benchmark: in one run, against one `keyhold-s3 server` process wired to one `keyhold
 * server` process (both real executables, over TLS and mutual TLS), compares an unencrypted bucket
 * with a bucket whose default is SSE-KMS:
 *   - PUT and GET of 256 MiB objects (MiB/s), alternating plain and encrypted runs, from this process
 *     and with curl (`--aws-sigv4`, the client bench/s3-bench.ts gives nginx), with keyhold-s3's and
 *     Keyhold's CPU seconds per GiB in the curl cells;
 *   - 4 KiB PUTs at 16 connections (ops/s): each encrypted PUT is one KMS generate.
 *
 *   node --import tsx bench/sse-bench.ts [--mib 256] [--reps 3] [--seconds 5] [--connections 16]
 *
 * Prints a Markdown section for docs/performance.md. Every loop is bounded by reps or seconds.
 *
 * @module
 */
import { execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { Agent, request } from 'node:https'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs, promisify } from 'node:util'
import { canonicalRequest, hmac, signingKey, stringToSign } from '../src/s3/auth/sigv4/canonical.js'
import { testPki } from '../test/helpers/pki.js'
import { startKeyhold } from './lib/keyhold.js'
import { freePort } from './lib/nginx.js'
import { treeCpuMs } from './lib/proc.js'

const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: '256' },
    reps: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '16' },
  },
})
const MIB = Number(values.mib)
const REPS = Number(values.reps)
const SECONDS = Number(values.seconds)
const CONNS = Number(values.connections)
const USER = 'benchadmin'
const PASSWORD = 'bench-secret-key-123'

const pki = await testPki()
const kms = await startKeyhold(pki, 1, ['/v1/key/create/*', '/v1/key/generate/*', '/v1/key/decrypt/*', '/v1/key/describe/*', '/v1/status'])

// keyhold-s3 with its own certs dir (CAs/ trusts the Keyhold CA) and the MINIO_KMS_KES_* environment.
const certsDir = mkdtempSync(join(tmpdir(), 'sse-bench-certs-'))
copyFileSync(pki.server.certFile, join(certsDir, 'public.crt'))
copyFileSync(pki.server.keyFile, join(certsDir, 'private.key'))
mkdirSync(join(certsDir, 'CAs'))
copyFileSync(pki.ca.certFile, join(certsDir, 'CAs', 'ca.crt'))
const port = await freePort()
const s3 = spawn(process.execPath, [new URL('../bin/keyhold-s3.js', import.meta.url).pathname, 'server', mkdtempSync(join(tmpdir(), 'sse-bench-data-')), '--address', `127.0.0.1:${port}`, '--certs-dir', certsDir], {
  env: {
    ...process.env, KEYHOLD_FROM_SOURCE: '1', MINIO_ROOT_USER: USER, MINIO_ROOT_PASSWORD: PASSWORD,
    MINIO_KMS_KES_ENDPOINT: `https://127.0.0.1:${kms.port}`, MINIO_KMS_KES_KEY_NAME: 'bench-default',
    MINIO_KMS_KES_CERT_FILE: pki.clients.app.certFile, MINIO_KMS_KES_KEY_FILE: pki.clients.app.keyFile,
  },
  stdio: ['ignore', 'ignore', 'inherit'],
})
const agent = new Agent({ keepAlive: true, maxSockets: CONNS, ca: pki.ca.certPem })

/** send makes one SigV4 request (UNSIGNED-PAYLOAD over TLS); resolves status and body length. */
function send(method: string, path: string, body?: Buffer, query = '', extra: Record<string, string> = {}): Promise<{ status: number; bytes: number }> {
  const now = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')
  const headers: Record<string, string> = { host: `127.0.0.1:${port}`, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'x-amz-date': now, ...extra }
  const signed = Object.keys(headers).sort()
  const scope = `${now.slice(0, 8)}/us-east-1/s3/aws4_request`
  const canonical = canonicalRequest(method, path, query, signed.map((h) => `${h}:${headers[h]}\n`).join(''), signed, 'UNSIGNED-PAYLOAD')
  const sig = hmac(signingKey(PASSWORD, now.slice(0, 8), 'us-east-1', 's3'), stringToSign(now, scope, canonical)).toString('hex')
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${USER}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${sig}`
  if (body !== undefined) headers['content-length'] = String(body.length)
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path: path + (query ? `?${query}` : ''), headers, agent, servername: 'localhost' }, (res) => {
      let bytes = 0
      res.on('data', (c: Buffer) => (bytes += c.length))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }))
      res.on('error', reject)
    })
    req.on('error', reject)
    if (body === undefined) {
      req.end()
      return
    }
    // Write in 1 MiB slices so the client never copies the whole object.
    let off = 0
    const pump = (): void => {
      while (off < body.length) {
        const end = Math.min(off + (1 << 20), body.length)
        const more = req.write(body.subarray(off, end))
        off = end
        if (!more) {
          req.once('drain', pump)
          return
        }
      }
      req.end()
    }
    pump()
  })
}

async function must(p: Promise<{ status: number; bytes: number }>, what: string): Promise<{ status: number; bytes: number }> {
  const r = await p
  if (r.status >= 300) throw new Error(`${what}: HTTP ${r.status}`)
  return r
}

for (let i = 0; ; i++) {
  const up = await send('GET', '/').then((r) => r.status === 200, () => false)
  if (up) break
  if (i > 150 || s3.exitCode !== null) throw new Error('keyhold-s3 did not start')
  await new Promise((r) => setTimeout(r, 200))
}
await must(send('PUT', '/plain'), 'create plain')
await must(send('PUT', '/sealed'), 'create sealed')
const sseXml = Buffer.from('<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>bench-default</KMSMasterKeyID></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>')
await must(send('PUT', '/sealed', sseXml, 'encryption='), 'bucket encryption')

const big = randomBytes(MIB << 20)
const timed = async (fn: () => Promise<unknown>): Promise<number> => {
  const t = process.hrtime.bigint()
  await fn()
  return Number(process.hrtime.bigint() - t) / 1e9
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const put: Record<string, number[]> = { plain: [], sealed: [] }
const get: Record<string, number[]> = { plain: [], sealed: [] }
for (let r = 0; r < REPS; r++) {
  for (const bucket of ['plain', 'sealed']) {
    put[bucket]!.push(MIB / await timed(() => must(send('PUT', `/${bucket}/big`, big), `PUT ${bucket}`)))
    get[bucket]!.push(MIB / await timed(async () => {
      const res = await must(send('GET', `/${bucket}/big`), `GET ${bucket}`)
      if (res.bytes !== big.length) throw new Error(`GET ${bucket}: ${res.bytes} bytes`)
    }))
  }
}

// The same objects with curl, the client that is no bound on either column (s3-bench.ts gives it to nginx).
const run = promisify(execFile)
const bigFile = join(mkdtempSync(join(tmpdir(), 'sse-bench-file-')), 'big')
writeFileSync(bigFile, big)
const curl = ['-sS', '-f', '--cacert', pki.ca.certFile, '-o', '/dev/null', '--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', `${USER}:${PASSWORD}`, '-H', 'x-amz-content-sha256: UNSIGNED-PAYLOAD']
const curlUrl = (bucket: string): string => `https://localhost:${port}/${bucket}/curl-big`
const curlPut: Record<string, number[]> = { plain: [], sealed: [] }
const curlGet: Record<string, number[]> = { plain: [], sealed: [] }
// Server CPU seconds per GiB (keyhold-s3 + Keyhold) in the curl cells.
const cpuPerGiB: Record<string, { put: number[]; get: number[] }> = { plain: { put: [], get: [] }, sealed: { put: [], get: [] } }
const serverCpuMs = (): number => treeCpuMs(s3.pid!) + kms.cpuMs()
for (let r = 0; r < REPS; r++) {
  for (const bucket of ['plain', 'sealed']) {
    for (const [op, args, rates, cpu] of [
      ['PUT', ['-T', bigFile], curlPut, cpuPerGiB[bucket]!.put],
      ['GET', [], curlGet, cpuPerGiB[bucket]!.get],
    ] as const) {
      const cpuBefore = serverCpuMs()
      rates[bucket]!.push(MIB / await timed(() => run('curl', [...curl, ...args, '--resolve', `localhost:${port}:127.0.0.1`, curlUrl(bucket)]).catch((err: unknown) => {
        throw new Error(`curl ${op} ${bucket}: ${String(err)}`)
      })))
      cpu.push((serverCpuMs() - cpuBefore) / 1000 / (MIB / 1024))
    }
  }
}

const small = randomBytes(4096)
async function smallPuts(bucket: string): Promise<number> {
  let done = 0
  const deadline = Date.now() + SECONDS * 1000
  const worker = async (w: number) => {
    for (let i = 0; Date.now() < deadline && i < 1_000_000; i++) {
      await must(send('PUT', `/${bucket}/small-${w}-${i % 100}`, small), `small PUT ${bucket}`)
      done++
    }
  }
  const t = process.hrtime.bigint()
  await Promise.all(Array.from({ length: CONNS }, (_, w) => worker(w)))
  return done / (Number(process.hrtime.bigint() - t) / 1e9)
}
// Alternating rounds, like the big objects, so load swings on a shared machine hit both sides alike.
const smallRuns: Record<string, number[]> = { plain: [], sealed: [] }
// CPU milliseconds per 4 KiB PUT in the keyhold-s3 process and in Keyhold: where the time goes.
const cpuPerOp: Record<string, { s3: number[]; kms: number[] }> = { plain: { s3: [], kms: [] }, sealed: { s3: [], kms: [] } }
for (let r = 0; r < REPS; r++) {
  for (const bucket of ['plain', 'sealed']) {
    const s3Before = treeCpuMs(s3.pid!)
    const kmsBefore = kms.cpuMs()
    const t = process.hrtime.bigint()
    const rate = await smallPuts(bucket)
    const ops = rate * (Number(process.hrtime.bigint() - t) / 1e9)
    smallRuns[bucket]!.push(rate)
    cpuPerOp[bucket]!.s3.push((treeCpuMs(s3.pid!) - s3Before) / ops)
    cpuPerOp[bucket]!.kms.push((kms.cpuMs() - kmsBefore) / ops)
  }
}
const smallPlain = median(smallRuns.plain!)
const smallSealed = median(smallRuns.sealed!)

const pct = (a: number, b: number): string => `${Math.round((100 * a) / b)}%`
const row = (what: string, plain: number, sealed: number, unit: string, goal: string): string =>
  `| ${what} | ${plain.toFixed(0)} ${unit} | ${sealed.toFixed(0)} ${unit} | ${pct(sealed, plain)} | ${goal} |`
console.log([
  `Run: ${new Date().toISOString()}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load average ${loadavg()[0]!.toFixed(1)}, Node ${process.version}; keyhold-s3 and Keyhold (1 worker) as separate processes on loopback, TLS 1.3; client in a third process.`,
  `${MIB} MiB objects: median of ${REPS} runs each, alternating plain and encrypted; 4 KiB PUTs: median of ${REPS} runs of ${SECONDS} s each at ${CONNS} keep-alive connections, alternating.`,
  '',
  '| operation | unencrypted | SSE-KMS | ratio | goal |',
  '|---|---|---|---|---|',
  row(`PUT ${MIB} MiB`, median(put.plain!), median(put.sealed!), 'MiB/s', '≥ 70%'),
  row(`GET ${MIB} MiB`, median(get.plain!), median(get.sealed!), 'MiB/s', '≥ 70%'),
  row(`PUT ${MIB} MiB, curl`, median(curlPut.plain!), median(curlPut.sealed!), 'MiB/s', '≥ 70%'),
  row(`GET ${MIB} MiB, curl`, median(curlGet.plain!), median(curlGet.sealed!), 'MiB/s', '≥ 70%'),
  row('PUT 4 KiB', smallPlain, smallSealed, 'ops/s', '≥ 50%'),
  '',
  `CPU per 4 KiB PUT (median): unencrypted ${median(cpuPerOp.plain!.s3).toFixed(1)} ms in keyhold-s3; ` +
    `SSE-KMS ${median(cpuPerOp.sealed!.s3).toFixed(1)} ms in keyhold-s3 + ${median(cpuPerOp.sealed!.kms).toFixed(1)} ms in Keyhold.`,
  `Server CPU s per GiB in the curl cells (keyhold-s3 + Keyhold, median), PUT / GET: unencrypted ${median(cpuPerGiB.plain!.put).toFixed(2)} / ${median(cpuPerGiB.plain!.get).toFixed(2)}; ` +
    `SSE-KMS ${median(cpuPerGiB.sealed!.put).toFixed(2)} / ${median(cpuPerGiB.sealed!.get).toFixed(2)}.`,
].join('\n'))

agent.destroy()
s3.kill('SIGTERM')
await kms.stop()
