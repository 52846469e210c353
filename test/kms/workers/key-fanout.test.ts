/**
 * The primary's key fan-out on a real cluster (the fixture in fanout-fixture.ts): an announced
 * key change reaches every other worker before the announcement completes, and a worker that
 * does not acknowledge in time is killed and replaced while the announcement still completes.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testPki, type TestPki } from '../../helpers/pki.js'

const ACK_TIMEOUT_MS = 400
let pki: TestPki
let child: ChildProcess
let port = 0
let stdout = ''
let stderr = ''

interface Answer {
  pid: number
  ms?: number
  dropped?: string[]
}

/** get makes one request on a fresh connection (so the workers take turns). */
function get(path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca: pki.ca.certPem, servername: 'localhost', agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (d: string) => (body += d))
      res.on('end', () => resolve(JSON.parse(body) as Answer))
    })
    req.on('error', reject)
    req.setTimeout(20_000, () => req.destroy(new Error('timed out')))
    req.end()
  })
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
}

/** droppedBy collects each worker's dropped keys, by pid, over fresh connections. */
async function droppedBy(): Promise<Map<number, string[]>> {
  const seen = new Map<number, string[]>()
  for (let i = 0; i < 6; i++) {
    const a = await get('/dropped')
    seen.set(a.pid, a.dropped!)
  }
  return seen
}

beforeAll(async () => {
  pki = await testPki()
  const audit = join(mkdtempSync(join(tmpdir(), 'keyhold-fanout-')), 'audit.log')
  child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fanout-fixture.ts'), '2', String(ACK_TIMEOUT_MS), audit], {
    env: { ...process.env, KH_CERT: pki.server.certFile, KH_KEY: pki.server.keyFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d))
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  await until(() => stdout.includes('READY'), 20_000)
  port = Number(/READY (\d+)/.exec(stdout)?.[1])
  expect(port).toBeGreaterThan(0)
}, 30_000)

afterAll(() => {
  if (child.exitCode === null) child.kill('SIGTERM')
})

describe('key fan-out across workers', () => {
  it('makes every other worker drop the key before the announcement completes', async () => {
    const { pid: announcer } = await get('/announce/k1')
    const seen = await droppedBy()
    expect(seen.size).toBe(2)
    for (const [pid, dropped] of seen) expect(dropped).toEqual(pid === announcer ? [] : ['k1'])
  })

  it('kills and replaces a worker that does not acknowledge in time, and still completes', async () => {
    const hung = get('/block/15000').catch((err: Error) => err) // one worker stops answering anything
    await new Promise((r) => setTimeout(r, 300))
    const answer = await get('/announce/k2') // the other worker announces
    expect(answer.ms).toBeGreaterThanOrEqual(ACK_TIMEOUT_MS - 50)
    expect(answer.ms).toBeLessThan(5_000) // not the 15 s the hung worker would take
    expect(await hung).toBeInstanceOf(Error) // it was killed, not waited for
    expect(stderr).toMatch(/did not drop a changed key from its cache in time: restarting it/)
    await until(() => stderr.includes('starting a replacement worker'))
    // The replacement starts with an empty cache and, once it serves, takes part in the next round.
    for (let deadline = Date.now() + 15_000; Date.now() < deadline; ) if ((await droppedBy()).size === 2) break
    const { pid: announcer } = await get('/announce/k3')
    const seen = await droppedBy()
    expect(seen.size).toBe(2)
    expect(seen.has(answer.pid)).toBe(true)
    for (const [pid, dropped] of seen) if (pid !== announcer) expect(dropped.at(-1)).toBe('k3')
  }, 40_000)
})
