/**
 * How `keyhold server` starts and stops as a process: a busy port is one clear line and exit 1
 * (not one EADDRINUSE per worker and a process that looks up); SIGTERM lets a request in flight
 * finish, ends log followers, flushes the audit log, prints one line and exits 0; `--dev` removes
 * its temporary files on exit.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyChain } from '../../../src/kms/observability/audit-chain.js'
import { freePort } from '../../helpers/net.js'
import { testPki, type TestPki } from '../../helpers/pki.js'
import { send } from '../../helpers/server.js'
import { spawnBin, type Spawned } from '../../helpers/spawn-process.js'

let pki: TestPki
const dir = mkdtempSync(join(tmpdir(), 'keyhold-lifecycle-'))
const running: Spawned[] = []

beforeAll(async () => {
  pki = await testPki()
}, 30_000)
afterAll(async () => {
  await Promise.all(running.map((p) => p.stop('SIGKILL')))
  rmSync(dir, { recursive: true, force: true })
})

function config(name: string, address: string, audit = 'off'): string {
  const file = join(dir, `${name}.yml`)
  writeFileSync(
    file,
    `address: ${address}\nadmin:\n  identity: ${pki.clients.admin.identity}\ntls:\n  key: ${pki.server.keyFile}\n  cert: ${pki.server.certFile}\n` +
      `keystore:\n  fs:\n    path: ${join(dir, `keys-${name}`)}\nlog:\n  error: warn\n  audit: ${audit}\n`,
  )
  return file
}

function server(args: string[]): Spawned {
  const p = spawnBin('keyhold', ['server', ...args])
  running.push(p)
  return p
}

/** A PUT whose body is sent in two parts: the request is in flight until `finish` is called. */
function slowRequest(url: string, path: string, body: string): { finish(): void; response: Promise<number> } {
  const u = new URL(url)
  let finish!: () => void
  const response = new Promise<number>((resolve, reject) => {
    const req = request(
      {
        host: u.hostname, port: u.port, path, method: 'PUT', servername: 'localhost', agent: false,
        ca: pki.ca.certPem, cert: pki.clients.admin.certPem, key: pki.clients.admin.keyPem,
        headers: { 'Content-Length': String(Buffer.byteLength(body)) },
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      },
    )
    req.on('error', reject)
    req.write(body.slice(0, 3))
    finish = () => req.end(body.slice(3))
  })
  return { finish: () => finish(), response }
}

/** Follows /v1/log/audit; resolves when the server ends the stream. */
function follow(url: string): Promise<void> {
  const u = new URL(url)
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname, port: u.port, path: '/v1/log/audit', method: 'GET', servername: 'localhost', agent: false,
        ca: pki.ca.certPem, cert: pki.clients.admin.certPem, key: pki.clients.admin.keyPem,
      },
      (res) => {
        res.resume()
        res.on('close', () => resolve())
      },
    )
    req.on('error', reject)
    req.end()
  })
}

describe('keyhold server lifecycle', () => {
  let busy: Server
  beforeAll(async () => {
    busy = createServer()
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
  })
  afterAll(() => busy.close())

  for (const workers of ['1', '2']) {
    it(`exits 1 with one clear line when the port is busy (--workers ${workers})`, async () => {
      const address = `127.0.0.1:${(busy.address() as { port: number }).port}`
      const p = server(['--config', config(`busy-${workers}`, address), '--workers', workers])
      expect(await p.exited).toBe(1)
      expect(p.stdout()).toBe('')
      expect(p.stderr()).toBe(`Error: cannot listen on ${address}: the address is already in use\n`)
    }, 150_000)

    it(`on SIGTERM finishes a request in flight, ends log followers, flushes the audit log and exits 0 (--workers ${workers})`, async () => {
      const audit = join(dir, `audit-${workers}.log`)
      const p = server(['--config', config(`term-${workers}`, `127.0.0.1:${await freePort()}`, audit), '--workers', workers])
      const url = (await p.waitFor(/listening on (https:\/\/\S+)/))[1]!
      expect((await send(url, pki, pki.clients.admin, 'POST', '/v1/key/create/k')).status).toBe(200)
      const follower = follow(url)
      const slow = slowRequest(url, '/v1/key/generate/k', JSON.stringify({ context: '' }))
      await new Promise((r) => setTimeout(r, 300)) // the request is in the server, waiting for its body

      const started = Date.now()
      p.child.kill('SIGTERM')
      await follower
      expect(Date.now() - started).toBeLessThan(4_500) // ended by the server, not by the 5 s grace period
      await new Promise((r) => setTimeout(r, 300))
      slow.finish()
      expect(await slow.response).toBe(200)
      expect(await p.exited).toBe(0)

      const lines = p.stderr().split('\n').filter((l) => l !== '')
      expect(lines).toEqual([
        workers === '1'
          ? 'keyhold: stopped on SIGTERM: requests in flight finished, audit log flushed'
          : 'keyhold: stopped: workers finished their requests, audit log flushed',
      ])
      const events = readFileSync(audit, 'utf8').split('\n')
      expect(verifyChain(events)).toMatchObject({ ok: true })
      expect(events.filter((l) => l.includes('"path":"/v1/key/generate/k"') && l.includes('"code":200'))).toHaveLength(1)
      expect(existsSync(`${audit}.lock`)).toBe(false)
    }, 150_000)
  }

  it('--dev removes its temporary files on exit', async () => {
    const p = server(['--dev', '--addr', '127.0.0.1:0'])
    const files = (await p.waitFor(/Files {6}(\S+)/))[1]!
    expect(existsSync(join(files, 'client.key'))).toBe(true)
    expect(await p.stop()).toBe(0)
    expect(existsSync(files)).toBe(false)
  }, 150_000)
})
