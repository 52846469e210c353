import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyChain } from '../../../src/kms/observability/audit-chain.js'
import { testPki, type TestPki } from '../../helpers/pki.js'
import { send } from '../../helpers/server.js'
import { spawnServer, type SpawnedServer } from '../observability/spawn-server.js'

let pki: TestPki
let server: SpawnedServer

const policy = (allow: string) => `policy:\n  app:\n    allow: ["${allow}"]\n    identities: [PLACEHOLDER]\n`

beforeAll(async () => {
  pki = await testPki()
  server = await spawnServer(pki, `log:\n  error: warn\n  audit: ./audit.log\n${policy('/v1/key/describe/*').replace('PLACEHOLDER', pki.clients.app.identity)}`, ['--workers', '2'])
}, 40_000)
afterAll(async () => {
  await server?.stop()
})

/** Many requests on fresh connections reach both workers (round-robin). */
async function statuses(path: string, n = 8): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < n; i++) out.push((await send(server.url, pki, pki.clients.app, 'GET', path)).status)
  return out
}

describe('keyhold server --workers 2 (the real server)', () => {
  it('runs two workers behind one port and sums their metrics', async () => {
    const { admin } = pki.clients
    expect(server.stdout()).toContain('(2 workers)')
    expect((await send(server.url, pki, admin, 'PUT', '/v1/key/create/k1')).status).toBe(200)
    expect(await statuses('/v1/key/describe/k1')).toEqual(Array(8).fill(200))
    const metrics = await send(server.url, pki, admin, 'GET', '/v1/metrics')
    expect(metrics.text).toContain('kes_http_request_success{code="200"} 9')
    expect(metrics.text).toContain('kes_system_num_cpu_used 2')
  })

  it('reloads policies on every worker when the primary gets SIGHUP', async () => {
    expect(await statuses('/v1/key/list/*')).toEqual(Array(8).fill(403))
    const config = join(server.dir, 'config.yml')
    writeFileSync(config, readFileSync(config, 'utf8').replace('/v1/key/describe/*', '/v1/key/list/*'))
    server.child.kill('SIGHUP')
    const deadline = Date.now() + 10_000
    let seen: number[] = []
    while (Date.now() < deadline) {
      seen = await statuses('/v1/key/list/*')
      if (seen.every((s) => s === 200)) break
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(seen).toEqual(Array(8).fill(200))
    expect(await statuses('/v1/key/describe/k1', 4)).toEqual(Array(4).fill(403))
  })

  it('stops gracefully on SIGTERM with one intact audit chain from both workers', async () => {
    expect(await server.stop()).toBe(0)
    const result = verifyChain(readFileSync(join(server.dir, 'audit.log'), 'utf8').split('\n'))
    expect(result).toMatchObject({ ok: true })
    expect(result.ok && result.count).toBeGreaterThanOrEqual(1 + 8 + 1 + 8 + 8 + 4)
  })
})

describe('keyhold server with the memory keystore', () => {
  it('refuses more than one worker with a clear message', () => {
    const bin = join(import.meta.dirname, '../../../bin/keyhold.js')
    const r = spawnSync(process.execPath, [bin, 'server', '--dev', '--addr', '127.0.0.1:0', '--workers', '2'], {
      env: { ...process.env, KEYHOLD_FROM_SOURCE: '1' },
      encoding: 'utf8',
      timeout: 30_000,
    })
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('the memory keystore keeps keys inside one process: it cannot be shared by 2 workers')
  }, 40_000)
})
