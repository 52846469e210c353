/**
 * A reload of `keyhold server --workers 2` is one line in the error log, not one per worker:
 * every worker reloads, the worker in slot 0 speaks for all (its replacement keeps the slot).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testPki } from '../../helpers/pki.js'
import { spawnServer, type SpawnedServer } from '../observability/spawn-server.js'

let server: SpawnedServer

beforeAll(async () => {
  server = await spawnServer(await testPki(), 'log:\n  error: info\n  audit: off\n', ['--workers', '2'])
}, 60_000)
afterAll(async () => {
  await server?.stop()
})

const reloads = () => server.stderr().split('\n').filter((l) => l.includes('configuration reloaded')).length

async function until(fn: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  while (!fn() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
}

describe('reload log of keyhold server --workers 2', () => {
  it('says "configuration reloaded" once per SIGHUP', async () => {
    for (const expected of [1, 2]) {
      server.child.kill('SIGHUP')
      await until(() => reloads() >= expected, 15_000)
      await new Promise((r) => setTimeout(r, 1_500)) // the other worker has reloaded by now too
      expect(reloads()).toBe(expected)
    }
    const line = JSON.parse(server.stderr().split('\n').find((l) => l.includes('configuration reloaded'))!) as { level: string; time: string }
    expect(line.level).toBe('info')
  }, 60_000)
})
