/**
 * Start-up of `keyhold server --workers 2` on an fs keystore: the temp-file sweep runs once, in
 * the primary, before any worker opens the store, and removes only files no live writer owns. So
 * creates sent the moment the port accepts, while the second worker is still starting, all succeed.
 */
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../../helpers/net.js'
import { testPki, type TestPki } from '../../helpers/pki.js'
import { send } from '../../helpers/server.js'
import { spawnBin, type Spawned } from '../../helpers/spawn-process.js'

const CALLERS = 8
const PER_CALLER = 40

let pki: TestPki
const dir = mkdtempSync(join(tmpdir(), 'keyhold-startup-race-'))
const keys = join(dir, 'keys')
let server: Spawned | undefined

beforeAll(async () => {
  pki = await testPki()
}, 30_000)
afterAll(async () => {
  await server?.stop('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

describe('keyhold server --workers 2 start-up', () => {
  it('sweeps dead writers\' temp files once and loses no create sent the moment the port accepts', async () => {
    const host = createHash('sha256').update(hostname()).digest('hex').slice(0, 8)
    const dead = `.keyhold-tmp-${host}-${spawnSync(process.execPath, ['-e', '']).pid}-${'a'.repeat(24)}`
    const live = `.keyhold-tmp-${host}-${process.pid}-${'b'.repeat(24)}` // this test process: alive
    mkdirSync(keys, { mode: 0o700 })
    writeFileSync(join(keys, dead), 'partial')
    writeFileSync(join(keys, live), 'partial')

    const port = await freePort()
    writeFileSync(
      join(dir, 'config.yml'),
      `address: 127.0.0.1:${port}\nadmin:\n  identity: ${pki.clients.admin.identity}\ntls:\n  key: ${pki.server.keyFile}\n  cert: ${pki.server.certFile}\n` +
        `keystore:\n  fs:\n    path: ${keys}\nlog:\n  error: warn\n  audit: off\n`,
    )
    server = spawnBin('keyhold', ['server', '--config', join(dir, 'config.yml'), '--workers', '2'])
    const url = `https://127.0.0.1:${port}`
    const deadline = Date.now() + 120_000
    for (;;) {
      const ok = await send(url, pki, pki.clients.admin, 'GET', '/v1/status').then((r) => r.status === 200, () => false)
      if (ok) break
      if (server.child.exitCode !== null || Date.now() > deadline) throw new Error(`server did not listen: ${server.stderr()}`)
      await new Promise((r) => setTimeout(r, 5))
    }

    const statuses = await Promise.all(
      Array.from({ length: CALLERS }, async (_, c) => {
        const out: number[] = []
        for (let i = 0; i < PER_CALLER; i++) out.push((await send(url, pki, pki.clients.admin, 'POST', `/v1/key/create/c${c}-${i}`)).status)
        return out
      }),
    )
    const failures = statuses.flat().filter((s) => s !== 200)
    expect(failures).toEqual([])
    const entries = readdirSync(keys)
    expect(entries.filter((e) => !e.startsWith('.'))).toHaveLength(CALLERS * PER_CALLER)
    expect(entries.filter((e) => e.startsWith('.'))).toEqual([live])
    expect(await server.stop()).toBe(0)
  }, 180_000)
})
