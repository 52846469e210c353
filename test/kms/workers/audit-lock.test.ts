/**
 * One writer per audit file: a second `keyhold server` whose `log.audit` names the same file
 * refuses to start, naming the lock and the PID holding it (the cluster primary, the one writer);
 * after a clean stop or a kill -9 a new one starts and the chain still verifies.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyChain } from '../../../src/kms/observability/audit-chain.js'
import { testPki, type TestPki } from '../../helpers/pki.js'
import { send } from '../../helpers/server.js'
import { spawnBin, type Spawned } from '../../helpers/spawn-process.js'

let pki: TestPki
const dir = mkdtempSync(join(tmpdir(), 'keyhold-audit-lock-'))
const audit = join(dir, 'audit.log')
const lock = `${audit}.lock`
const running: Spawned[] = []

beforeAll(async () => {
  pki = await testPki()
  // Two configs, two keystores: only the audit file is shared.
  for (const name of ['a', 'b']) {
    writeFileSync(
      join(dir, `${name}.yml`),
      `address: 127.0.0.1:0
admin:
  identity: ${pki.clients.admin.identity}
tls:
  key: ${pki.server.keyFile}
  cert: ${pki.server.certFile}
keystore:
  fs:
    path: ${join(dir, `keys-${name}`)}
log:
  error: warn
  audit: ${audit}
`,
    )
  }
}, 30_000)
afterAll(async () => {
  await Promise.all(running.map((p) => p.stop('SIGKILL')))
  rmSync(dir, { recursive: true, force: true })
})

function server(config: 'a' | 'b', workers: number): Spawned {
  const p = spawnBin('keyhold', ['server', '--config', join(dir, `${config}.yml`), '--workers', String(workers)])
  running.push(p)
  return p
}
const BANNER = /listening on (https:\/\/\S+)/

describe('keyhold server audit file lock', () => {
  it('refuses a second server on the same audit file with one line naming the lock and the primary PID', async () => {
    const first = server('a', 2)
    const url = (await first.waitFor(BANNER))[1]!
    expect(existsSync(lock)).toBe(true)

    const second = server('b', 2)
    expect(await second.exited).toBe(1)
    expect(second.stdout()).toBe('')
    const lines = second.stderr().split('\n').filter((l) => l !== '')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(
      new RegExp(`^Error: audit file '${audit}' is in use: lock '${lock}' is held by PID ${first.child.pid} \\(keyhold server on `),
    )

    expect((await send(url, pki, pki.clients.admin, 'POST', '/v1/key/create/k1')).status).toBe(200)
    expect(await first.stop()).toBe(0)
    expect(existsSync(lock)).toBe(false)
  }, 150_000)

  it('takes over the lock of a server killed with SIGKILL, and the chain stays intact', async () => {
    const killed = server('a', 1)
    const url = (await killed.waitFor(BANNER))[1]!
    expect((await send(url, pki, pki.clients.admin, 'GET', '/v1/key/describe/k1')).status).toBe(200)
    await new Promise((r) => setTimeout(r, 200)) // let the audit write reach the file
    expect(await killed.stop('SIGKILL')).toBe(null)
    expect(existsSync(lock)).toBe(true)

    const next = server('b', 1)
    const url2 = (await next.waitFor(BANNER))[1]!
    expect((await send(url2, pki, pki.clients.admin, 'GET', '/v1/key/describe/k1')).status).toBe(404)
    expect(await next.stop()).toBe(0)
    const result = verifyChain(readFileSync(audit, 'utf8').split('\n'))
    expect(result).toMatchObject({ ok: true, count: 3 })
  }, 150_000)
})
