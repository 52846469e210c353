/**
 * Key states on the Vault stand-in (KV v1 and v2): the side entries are ordinary secrets under the
 * keystore's prefix, hidden from listings, and disable, scheduled deletion, restore and the purge
 * work as on the other keystores; a second server on the same Vault sees the states too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../../helpers/server.js'
import type { VaultStandin } from '../../helpers/vault-standin/standin.js'
import { startStandin, vaultConfig } from './setup.js'

let standin: VaultStandin
afterAll(async () => {
  await standin?.close()
})
beforeAll(async () => {
  standin = await startStandin()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe.each([['kv', 'v1'], ['kv2', 'v2']] as const)('Vault %s', (engine, version) => {
  let a: TestServer
  let b: TestServer
  const purged: string[] = []
  beforeAll(async () => {
    const config = await vaultConfig(standin, { engine, version, prefix: `states-${version}` })
    const start = () =>
      startTestServer(
        // cache.expiry.any 1 s: Vault does not notify, so the other server learns within it. The 4 s wait
        // leaves time to restore on a loaded machine.
        { keystore: { kind: 'vault', config }, cache: { anyMs: 1_000, unusedMs: 60_000, offlineMs: 0 }, keyDeletion: { waitMs: 4_000 } },
        { keyPurgeIntervalMs: 200, onKeyPurged: (n) => purged.push(n) },
      )
    ;[a, b] = await Promise.all([start(), start()])
  })
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()])
  })
  const as = (s: TestServer, method: string, path: string, body?: object) => s.call(s.pki.clients.admin, method, path, body)

  it('disables, schedules, restores and purges, and the other server follows within cache.expiry.any', async () => {
    expect((await as(a, 'POST', '/v1/key/create/v1')).status).toBe(200)
    expect((await as(a, 'POST', '/v1/key/create/v2')).status).toBe(200)
    expect((await as(b, 'PUT', '/v1/key/generate/v1', {})).status).toBe(200)
    expect((await as(a, 'PUT', '/v1/key/disable/v1')).status).toBe(200)
    expect((await as(a, 'PUT', '/v1/key/generate/v1', {})).status).toBe(409)
    const until409 = Date.now() + 5_000
    let seen = 0
    while (Date.now() < until409 && (seen = (await as(b, 'PUT', '/v1/key/generate/v1', {})).status) !== 409) await sleep(100)
    expect(seen).toBe(409)
    expect((await as(b, 'GET', '/v1/key/list/*')).json).toEqual({ names: ['v1', 'v2'] })

    expect((await as(b, 'DELETE', '/v1/key/delete/v2')).status).toBe(200)
    expect((await as(a, 'GET', '/v1/key/list/*')).json).toEqual({ names: ['v1'] })
    expect((await as(a, 'PUT', '/v1/key/restore/v2')).status).toBe(200)
    expect((await as(a, 'DELETE', '/v1/key/delete/v2')).status).toBe(200)
    const end = Date.now() + 15_000
    while (!purged.includes('v2') && Date.now() < end) await sleep(50)
    // Once on KV v2 (check-and-set makes the purge claim exclusive); KV v1 has no CAS, so two
    // servers may both purge (the same deletion, audited twice: key-purge.ts).
    if (version === 'v2') expect(purged).toEqual(['v2'])
    else expect(purged.every((n) => n === 'v2') && purged.length <= 2).toBe(true)
    expect((await as(a, 'POST', '/v1/key/create/v2')).status).toBe(200)
    expect((await as(b, 'GET', '/v1/key/list/*')).json).toEqual({ names: ['v1', 'v2'] })
  }, 30_000)
})
