import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { testPki, type TestPki } from '../../helpers/pki.js'
import { ROOT_PASSWORD, ROOT_USER } from '../../helpers/s3.js'

const work = mkdtempSync(join(tmpdir(), 'keyhold-s3-sigterm-'))
const procs: ChildProcess[] = []
const servers: Server[] = []
afterAll(() => {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL')
  for (const s of servers) s.close()
  rmSync(work, { recursive: true, force: true })
})

interface Running { proc: ChildProcess; port: number; stderr: () => string; exited: Promise<number | null> }

/** start runs `keyhold-s3 server` as a process with the given shutdown grace. */
async function start(pki: TestPki, dataDir: string, grace: string): Promise<Running> {
  const certs = join(work, `certs-${procs.length}`)
  mkdirSync(certs, { recursive: true })
  writeFileSync(join(certs, 'public.crt'), pki.server.certPem)
  writeFileSync(join(certs, 'private.key'), pki.server.keyPem)
  const proc = spawn(process.execPath, ['bin/keyhold-s3.js', 'server', dataDir, '--address', '127.0.0.1:0', '--certs-dir', certs], {
    env: { ...process.env, KEYHOLD_FROM_SOURCE: '1', MINIO_ROOT_USER: ROOT_USER, MINIO_ROOT_PASSWORD: ROOT_PASSWORD, MINIO_SHUTDOWN_TIMEOUT: grace },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  procs.push(proc)
  let err = ''
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()))
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)))
  const port = await new Promise<number>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`no banner: ${out} ${err}`)), 60_000)
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString()
      const m = /serving the S3 API at https:\/\/127\.0\.0\.1:(\d+)/.exec(out)
      if (m !== null) {
        clearTimeout(timer)
        resolve(Number(m[1]))
      }
    })
  })
  return { proc, port, stderr: () => err, exited }
}

/**
 * A TCP relay that passes the first `limit` bytes a client sends and then holds the rest until opened: an
 * upload stays in flight, mid-body, for as long as the test wants.
 */
async function gate(target: number, limit: number): Promise<{ port: number; held: () => boolean; open: () => void }> {
  let opened = false
  let held = false
  const waiting: Array<() => void> = []
  const server = createServer((client: Socket) => {
    const upstream = connect(target, '127.0.0.1')
    let passed = 0
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
    upstream.pipe(client)
    client.on('data', (chunk: Buffer) => {
      if (opened || passed + chunk.length <= limit) {
        passed += chunk.length
        upstream.write(chunk)
        return
      }
      held = true
      client.pause()
      waiting.push(() => {
        upstream.write(chunk)
        client.resume()
      })
    })
    client.on('end', () => upstream.end())
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const port = (server.address() as { port: number }).port
  return { port, held: () => held, open: () => { opened = true; for (const w of waiting.splice(0)) w() } }
}

function aws(pki: TestPki, port: number, args: string[]): { done: Promise<{ code: number | null; out: string }>; proc: ChildProcess } {
  const proc = spawn('aws', ['--endpoint-url', `https://127.0.0.1:${port}`, '--cli-read-timeout', '30', ...args], {
    env: {
      ...process.env, AWS_ACCESS_KEY_ID: ROOT_USER, AWS_SECRET_ACCESS_KEY: ROOT_PASSWORD, AWS_DEFAULT_REGION: 'us-east-1',
      AWS_CA_BUNDLE: pki.ca.certFile, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_MAX_ATTEMPTS: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  procs.push(proc)
  let out = ''
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()))
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()))
  return { proc, done: new Promise((r) => proc.once('exit', (code) => r({ code, out }))) }
}

async function until(cond: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('keyhold-s3 server: SIGTERM with uploads in flight', () => {
  it('an aws CLI upload in flight finishes; the server logs one line and exits 0; the object is whole after a restart', async () => {
    const pki = await testPki()
    const dataDir = join(work, 'data-finish')
    const file = join(work, 'upload.bin')
    const data = randomBytes(3 * 1024 * 1024)
    writeFileSync(file, data)
    const first = await start(pki, dataDir, '30s')
    expect((await aws(pki, first.port, ['s3', 'mb', 's3://sigterm']).done).code).toBe(0)
    const g = await gate(first.port, 256 * 1024)
    const upload = aws(pki, g.port, ['s3', 'cp', file, 's3://sigterm/upload.bin'])
    await until(g.held)
    first.proc.kill('SIGTERM')
    await new Promise((r) => setTimeout(r, 500))
    g.open()
    const result = await upload.done
    expect(result.code, result.out).toBe(0)
    expect(await first.exited).toBe(0)
    const lines = first.stderr().split('\n').filter((l) => l.includes('stopped on SIGTERM'))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/1 request\(s\) in flight finished/)
    expect(first.stderr()).not.toMatch(/Unhandled|database connection is not open/)

    const second = await start(pki, dataDir, '30s')
    const back = join(work, 'back.bin')
    expect((await aws(pki, second.port, ['s3', 'cp', 's3://sigterm/upload.bin', back]).done).code).toBe(0)
    const { readFileSync } = await import('node:fs')
    expect(readFileSync(back).equals(data)).toBe(true)
    second.proc.kill('SIGTERM')
    expect(await second.exited).toBe(0)
  }, 120_000)

  it('an upload that cannot finish within the grace period is cut: no crash, exit 0, nothing half-written', async () => {
    const pki = await testPki()
    const dataDir = join(work, 'data-cut')
    const file = join(work, 'cut.bin')
    writeFileSync(file, randomBytes(3 * 1024 * 1024))
    const first = await start(pki, dataDir, '500ms')
    expect((await aws(pki, first.port, ['s3', 'mb', 's3://sigterm']).done).code).toBe(0)
    const g = await gate(first.port, 256 * 1024)
    const upload = aws(pki, g.port, ['s3', 'cp', file, 's3://sigterm/cut.bin'])
    await until(g.held)
    const stopped = Date.now()
    first.proc.kill('SIGTERM')
    expect(await first.exited).toBe(0)
    expect(Date.now() - stopped).toBeLessThan(15_000)
    expect(first.stderr()).toMatch(/stopped on SIGTERM .*1 cut at the grace period's end/)
    expect(first.stderr()).not.toMatch(/Unhandled|'error' event|database connection is not open/)
    g.open()
    expect((await upload.done).code).not.toBe(0)
    // Nothing was left for start-up to clean, and the object does not exist.
    const second = await start(pki, dataDir, '30s')
    expect(second.stderr()).not.toContain('unfinished upload file')
    const ls = await aws(pki, second.port, ['s3', 'ls', 's3://sigterm/']).done
    expect(ls.out).not.toContain('cut.bin')
    second.proc.kill('SIGTERM')
    expect(await second.exited).toBe(0)
  }, 120_000)
})
