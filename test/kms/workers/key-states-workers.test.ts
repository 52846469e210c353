/**
 * Key states across workers and restarts, on real `keyhold server --workers 2` processes over
 * one fs keystore: a disable, enable, scheduled deletion or restore made through one worker holds
 * in every worker at once (every check uses fresh connections, which the kernel spreads over both
 * workers, each of which cached the key and its state first), and a schedule outlives the server.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testPki, type TestPki } from '../../helpers/pki.js'
import { send } from '../../helpers/server.js'
import { spawnServer, type SpawnedServer } from '../observability/spawn-server.js'

const ATTEMPTS = 20
const CONFIG = 'log:\n  error: warn\nkey_deletion:\n  wait: 1h\n'

let pki: TestPki
let server: SpawnedServer | undefined
beforeAll(async () => {
  pki = await testPki()
})
afterAll(async () => {
  await server?.stop()
})

const call = (method: string, path: string, body?: object) => send(server!.url, pki, pki.clients.admin, method, path, body)

/** statuses of `ATTEMPTS` generate calls, each on a fresh connection. */
async function generates(name: string): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < ATTEMPTS; i++) out.push((await call('PUT', `/v1/key/generate/${name}`, {})).status)
  return out
}
const all = (status: number) => new Array<number>(ATTEMPTS).fill(status)

describe('key states, fs keystore, --workers 2', () => {
  it('every worker sees each state change at once', async () => {
    server = await spawnServer(pki, CONFIG, ['--workers', '2'])
    expect((await call('POST', '/v1/key/create/w1')).status).toBe(200)
    expect(await generates('w1')).toEqual(all(200)) // both workers cache the key and its (enabled) state
    expect((await call('PUT', '/v1/key/disable/w1')).status).toBe(200)
    expect(await generates('w1')).toEqual(all(409))
    expect((await call('PUT', '/v1/key/enable/w1')).status).toBe(200)
    expect(await generates('w1')).toEqual(all(200))
    expect((await call('DELETE', '/v1/key/delete/w1')).status).toBe(200)
    expect(await generates('w1')).toEqual(all(404))
    expect((await call('PUT', '/v1/key/restore/w1')).status).toBe(200)
    expect(await generates('w1')).toEqual(all(200))
    expect(server.stderr()).not.toMatch(/did not drop|exited|replacement/)
  }, 90_000)

  it('a scheduled deletion outlives a restart, and restore works on the new server', async () => {
    expect((await call('DELETE', '/v1/key/delete/w1')).status).toBe(200)
    const keys = join(server!.dir, 'keys')
    await server!.stop()
    server = await spawnServer(pki, CONFIG, ['--workers', '2'], `  fs:\n    path: ${keys}`)
    expect(await generates('w1')).toEqual(all(404))
    expect((await call('GET', '/v1/key/state/w1')).json).toMatchObject({ state: 'scheduled' })
    expect((await call('PUT', '/v1/key/restore/w1')).status).toBe(200)
    expect(await generates('w1')).toEqual(all(200))
  }, 90_000)
})
