import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { request, type RequestOptions } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyChain } from '../../../src/kms/observability/audit-chain.js'
import { resolveWorkerCount, WorkersError } from '../../../src/kms/workers/index.js'
import { testPki, type TestPki } from '../../helpers/pki.js'

let pki: TestPki
let child: ChildProcess
let port = 0
let stdout = ''
const auditFile = join(mkdtempSync(join(tmpdir(), 'keyhold-cluster-')), 'audit.log')

function tlsOptions(path: string): RequestOptions {
  const c = pki.clients.admin
  return { host: '127.0.0.1', port, path, ca: pki.ca.certPem, cert: c.certPem, key: c.keyPem, agent: false }
}

function get(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(tlsOptions(path), (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** Follows a log stream, collecting lines until closed. */
function follow(path: string): Promise<{ lines: string[]; close: () => void }> {
  return new Promise((resolve, reject) => {
    const lines: string[] = []
    const req = request(tlsOptions(path), (res) => {
      let buf = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => {
        buf += d
        let i
        while ((i = buf.indexOf('\n')) >= 0) {
          lines.push(buf.slice(0, i))
          buf = buf.slice(i + 1)
        }
      })
      res.on('error', () => undefined)
      resolve({ lines, close: () => req.destroy() })
    })
    req.on('error', reject)
    req.end()
  })
}

async function until<T>(fn: () => Promise<T> | T, ok: (v: T) => boolean, ms = 8000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (ok(v) || Date.now() > deadline) return v
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function pidsSeen(n: number): Promise<Set<string>> {
  const pids = new Set<string>()
  for (let i = 0; i < n; i++) pids.add((await get('/pid')).body)
  return pids
}

beforeAll(async () => {
  pki = await testPki()
  child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixture-server.ts'), '2', auditFile], {
    env: { ...process.env, KH_CERT: pki.server.certFile, KH_KEY: pki.server.keyFile, KH_CA: pki.ca.certFile },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  child.stdout!.setEncoding('utf8')
  child.stdout!.on('data', (d: string) => (stdout += d))
  await until(() => stdout, (s) => s.includes('READY'), 20_000)
  port = Number(/READY (\d+)/.exec(stdout)?.[1])
  expect(port).toBeGreaterThan(0)
}, 30_000)

afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL')
})

describe('keyhold server --workers', () => {
  it('refuses several workers on the memory keystore and defaults sensibly', () => {
    expect(() => resolveWorkerCount(2, 'memory')).toThrow(WorkersError)
    expect(() => resolveWorkerCount(2, 'memory')).toThrow(/memory keystore .* cannot be shared by 2 workers/)
    expect(resolveWorkerCount(undefined, 'memory')).toBe(1)
    expect(resolveWorkerCount(undefined, 'fs')).toBeGreaterThanOrEqual(1)
    expect(resolveWorkerCount(3, 'fs')).toBe(3)
    expect(() => resolveWorkerCount(0, 'fs')).toThrow(/at least 1/)
  })

  it('serves one port from several processes and sums their metrics', async () => {
    const pids = await pidsSeen(10)
    expect(pids.size).toBe(2)
    const metrics = await get('/v1/metrics')
    // 10 /pid requests counted across both workers (the scrape itself is still in flight).
    expect(metrics.body).toContain('kes_http_request_success{code="200"} 10')
    expect(metrics.body).toContain('kes_system_num_cpu_used 2')
  })

  it('streams every worker\'s audit and error events to a follower on any worker', async () => {
    const audit = await follow('/v1/log/audit')
    const errors = await follow('/v1/log/error')
    await new Promise((r) => setTimeout(r, 200))
    const pids = await pidsSeen(8)
    expect(pids.size).toBe(2)
    for (let i = 0; i < 4; i++) await get('/err')
    await until(() => audit.lines.filter((l) => l.includes('"/pid"')).length, (n) => n >= 8)
    await until(() => errors.lines.length, (n) => n >= 4)
    audit.close()
    errors.close()
    expect(audit.lines.filter((l) => l.includes('"/pid"'))).toHaveLength(8)
    const messages = errors.lines.map((l) => JSON.parse(l).message as string)
    expect(new Set(messages.map((m) => /boom from (\d+)/.exec(m)?.[1])).size).toBe(2)
  })

  it('fans a SIGHUP out to every worker', async () => {
    child.kill('SIGHUP')
    const counts = await until(async () => [...new Set((await Promise.all(Array.from({ length: 8 }, () => get('/reloads')))).map((r) => r.body))], (c) => c.length === 1 && c[0] === '1')
    expect(counts).toEqual(['1'])
  })

  it('replaces a crashed worker', async () => {
    const before = await pidsSeen(6)
    await get('/crash').catch(() => undefined)
    const after = await until(() => pidsSeen(6), (p) => p.size === 2 && [...p].some((pid) => !before.has(pid)))
    expect(after.size).toBe(2)
    expect([...after].filter((pid) => !before.has(pid))).toHaveLength(1)
  })

  it('shuts down gracefully and leaves one intact audit chain', async () => {
    child.kill('SIGTERM')
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
    expect(code).toBe(0)
    expect(stdout).toContain('CLOSED')
    const lines = readFileSync(auditFile, 'utf8').split('\n')
    const result = verifyChain(lines)
    expect(result).toMatchObject({ ok: true })
    // Every request above was audited once by the worker that served it.
    expect(lines.filter((l) => l.includes('"path":"/pid"')).length).toBeGreaterThanOrEqual(10 + 8 + 12)
  })
})

describe('Ctrl-C', () => {
  it('stops the whole process group without restarting workers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyhold-sigint-'))
    const group = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixture-server.ts'), '2', join(dir, 'audit.log')], {
      env: { ...process.env, KH_CERT: pki.server.certFile, KH_KEY: pki.server.keyFile, KH_CA: pki.ca.certFile },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    })
    let out = ''
    let err = ''
    group.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d))
    group.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d))
    await until(() => out, (s) => s.includes('READY'), 20_000)
    const exited = new Promise<number | null>((resolve) => group.once('exit', (c) => resolve(c)))
    // What a terminal does on Ctrl-C: SIGINT to every process of the foreground group.
    process.kill(-group.pid!, 'SIGINT')
    expect(await exited).toBe(0)
    expect(out).toContain('CLOSED')
    expect(err).not.toContain('replacement')
  }, 30_000)
})
