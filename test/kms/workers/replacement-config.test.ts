/**
 * Replacing a worker while its config files are being edited, on a real `keyhold server --workers 2`:
 *
 * - the config file: a replacement starts with the config the running worker uses (the primary keeps
 *   its text), not with an edit no SIGHUP has applied yet, so both workers always answer alike;
 * - a file the config names (the policy file) that is invalid at that moment: the replacement says why
 *   it cannot start and exits, instead of hanging for good with the server silently on one worker;
 *   the primary keeps the other worker serving and tries again, backing off, until the file is fixed.
 *   It does not treat this as a crash loop, which would stop the whole server over a bad edit.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testPki, type TestPki } from '../../helpers/pki.js'
import { send } from '../../helpers/server.js'
import { spawnServer, type SpawnedServer } from '../observability/spawn-server.js'

let pki: TestPki
beforeAll(async () => {
  pki = await testPki()
})

/** The primary's worker processes (not tsx's esbuild service, also its child on a cold cache). */
function workerPids(server: SpawnedServer): number[] {
  try {
    const out = execFileSync('pgrep', ['-P', String(server.child.pid), '-f', 'keyhold.js server'], { encoding: 'utf8' })
    return out.split('\n').filter(Boolean).map(Number)
  } catch {
    return [] // pgrep exits 1 when there is none
  }
}

async function until(server: SpawnedServer, what: string, check: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; stderr:\n${server.stderr()}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

const serving = (server: SpawnedServer) => server.stderr().split(/replacement worker \d+ is serving/).length - 1

/** Kills one worker and waits until its replacement serves. */
async function replaceOne(server: SpawnedServer): Promise<void> {
  await until(server, 'two workers', () => workerPids(server).length === 2)
  const before = serving(server)
  process.kill(workerPids(server)[0]!, 'SIGKILL')
  await until(server, 'the replacement to serve', () => serving(server) > before)
}

/** The statuses of `n` requests by the `app` identity, each on a fresh connection (alternating workers). */
async function appStatuses(server: SpawnedServer, n: number): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < n; i++) out.push((await send(server.url, pki, pki.clients.app, 'GET', '/v1/key/describe/k')).status)
  return out
}

describe('a replacement and the config file', () => {
  let server: SpawnedServer
  const policy = (allow: string) => `policy:\n  app:\n    allow: ['${allow}']\n    identities: [${pki.clients.app.identity}]\n`
  beforeAll(async () => {
    server = await spawnServer(pki, policy('/v1/status'), ['--workers', '2'])
    expect((await send(server.url, pki, pki.clients.admin, 'POST', '/v1/key/create/k')).status).toBe(200)
  }, 60_000)
  afterAll(async () => {
    await server?.stop()
  })

  it('starts with the config the running worker uses, not with an edit no SIGHUP applied; SIGHUP applies it to both', async () => {
    const file = join(server.dir, 'config.yml')
    writeFileSync(file, readFileSync(file, 'utf8').replace("allow: ['/v1/status']", "allow: ['/v1/key/describe/*']"))
    await replaceOne(server)
    expect(await appStatuses(server, 6)).toEqual([403, 403, 403, 403, 403, 403])

    server.child.kill('SIGHUP')
    await until(server, 'the reload', () => /configuration reloaded/.test(server.stderr()))
    expect(await appStatuses(server, 6)).toEqual([200, 200, 200, 200, 200, 200])
    // And a replacement after the SIGHUP starts with the reloaded config.
    await replaceOne(server)
    expect(await appStatuses(server, 6)).toEqual([200, 200, 200, 200, 200, 200])
  }, 60_000)
})

describe('a replacement and an invalid policy file', () => {
  let server: SpawnedServer
  let policyFile: string
  beforeAll(async () => {
    policyFile = join(mkdtempSync(join(tmpdir(), 'keyhold-replacement-')), 'policy.yml')
    writeFileSync(policyFile, 'policy: {}\n')
    server = await spawnServer(pki, `log:\n  error: warn\npolicy_file: ${policyFile}\n`, ['--workers', '2'])
  }, 60_000)
  afterAll(async () => {
    await server?.stop()
  })

  it('retries a replacement that cannot start while the other worker serves, and recovers once the file is fixed', async () => {
    await until(server, 'two workers', () => workerPids(server).length === 2)
    writeFileSync(policyFile, 'policy:\n  app: [not, a, policy]\n')
    process.kill(workerPids(server)[0]!, 'SIGKILL')

    await until(server, 'the failed start to be reported', () => /trying again in 2s/.test(server.stderr()))
    const err = server.stderr()
    expect(err).toMatch(/worker \d+ could not start: .*policy/)
    expect(err).toContain('keyhold: trying again in 1s; 1 worker(s) still serving')
    expect(err).not.toMatch(/crashes within|stopping/)
    // The other worker serves throughout, every request on a fresh connection.
    for (let i = 0; i < 6; i++) expect((await send(server.url, pki, pki.clients.admin, 'GET', '/v1/status')).status).toBe(200)
    // No worker hangs around without listening: the failed ones exited.
    expect(workerPids(server).length).toBeLessThanOrEqual(2)

    writeFileSync(policyFile, 'policy: {}\n')
    await until(server, 'the replacement to serve', () => serving(server) === 1, 20_000)
    for (let i = 0; i < 6; i++) expect((await send(server.url, pki, pki.clients.admin, 'GET', '/v1/status')).status).toBe(200)
    expect(server.child.exitCode).toBeNull()
  }, 60_000)
})

describe('every worker killed at once', () => {
  let server: SpawnedServer
  beforeAll(async () => {
    // A fixed port, as deployed: once no worker is left, Node's cluster closes the shared socket, and the
    // replacements listen anew (on port 0 that would be another port).
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo
        probe.close(() => resolve(port))
      })
    })
    server = await spawnServer(pki, 'log:\n  error: warn\n', ['--workers', '2', '--addr', `127.0.0.1:${port}`])
  }, 60_000)
  afterAll(async () => {
    await server?.stop()
  })

  it('replaces them all: the primary stays up while no worker process is left', async () => {
    // Found by an attack: the replacement timers did not keep the primary alive, so it exited (code 13).
    await until(server, 'two workers', () => workerPids(server).length === 2)
    for (const pid of workerPids(server)) process.kill(pid, 'SIGKILL')
    await until(server, 'both replacements to serve', () => serving(server) === 2, 20_000)
    expect(server.child.exitCode).toBeNull()
    for (let i = 0; i < 4; i++) expect((await send(server.url, pki, pki.clients.admin, 'GET', '/v1/status')).status).toBe(200)
  }, 60_000)
})
