/**
 * A worker replaced while the config file is invalid (an edit in progress, say) on a real
 * `keyhold server --workers 2`: the replacement says why it cannot start and exits, instead of
 * hanging for good with the server silently on one worker; the primary keeps the other worker
 * serving and tries again, backing off, until the file is fixed. It does not treat this as a crash
 * loop, which would stop the whole server over a bad edit.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { testPki, type TestPki } from '../../helpers/pki.js'
import { send } from '../../helpers/server.js'
import { spawnServer, type SpawnedServer } from '../observability/spawn-server.js'

let pki: TestPki
let server: SpawnedServer
beforeAll(async () => {
  pki = await testPki()
  server = await spawnServer(pki, 'log:\n  error: warn\n', ['--workers', '2'])
}, 60_000)
afterAll(async () => {
  await server?.stop()
})

/** The primary's worker processes (not tsx's esbuild service, also its child on a cold cache). */
const workerPids = (): number[] => {
  try {
    const out = execFileSync('pgrep', ['-P', String(server.child.pid), '-f', 'keyhold.js server'], { encoding: 'utf8' })
    return out.split('\n').filter(Boolean).map(Number)
  } catch {
    return [] // pgrep exits 1 when there is none
  }
}

async function until(what: string, check: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; stderr:\n${server.stderr()}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

it('retries a replacement that cannot start while the other worker serves, and recovers once the file is fixed', async () => {
  const configFile = join(server.dir, 'config.yml')
  const good = readFileSync(configFile, 'utf8')
  await until('two workers', () => workerPids().length === 2)
  writeFileSync(configFile, `${good}\nno_such_setting: true\n`)
  const [victim] = workerPids()
  process.kill(victim!, 'SIGKILL')

  await until('the failed start to be reported', () => /trying again in 2s/.test(server.stderr()))
  const err = server.stderr()
  expect(err).toMatch(/worker \d+ could not start: .*no_such_setting/)
  expect(err).toContain('keyhold: trying again in 1s; 1 worker(s) still serving')
  expect(err).not.toMatch(/crashes within|stopping/)
  // The other worker serves throughout, every request on a fresh connection.
  for (let i = 0; i < 6; i++) expect((await send(server.url, pki, pki.clients.admin, 'GET', '/v1/status')).status).toBe(200)
  // No worker hangs around without listening: the failed ones exited.
  expect(workerPids().length).toBeLessThanOrEqual(2)

  writeFileSync(configFile, good)
  await until('a second worker again', () => workerPids().length === 2 && server.stderr().split('starting a replacement worker').length >= 4, 20_000)
  // Both serve: consecutive connections alternate between them.
  for (let i = 0; i < 6; i++) expect((await send(server.url, pki, pki.clients.admin, 'GET', '/v1/status')).status).toBe(200)
  expect(server.child.exitCode).toBeNull()
}, 60_000)
