/**
 * The banner of `keyhold server` names every address a wildcard listener is reachable at, and
 * says against what client certificates are checked.
 */
import { networkInterfaces } from 'node:os'
import { afterAll, describe, expect, it } from 'vitest'
import { testPki } from '../helpers/pki.js'
import { spawnServer, type SpawnedServer } from '../kms/observability/spawn-server.js'

let server: SpawnedServer | undefined
afterAll(async () => {
  await server?.stop()
})

describe('keyhold server banner', () => {
  it('lists every interface address for --addr 0.0.0.0:0', async () => {
    server = await spawnServer(await testPki(), 'log:\n  audit: off\n', ['--addr', '0.0.0.0:0', '--workers', '1'])
    const port = new URL(server.url).port
    const line = server.stdout().split('\n').find((l) => l.trim().startsWith('Addresses'))
    expect(line).toBeDefined()
    const ipv4 = Object.values(networkInterfaces()).flatMap((l) => l ?? []).filter((i) => i.family === 'IPv4')
    for (const i of ipv4) expect(line).toContain(`https://${i.address}:${port}`)
    expect(server.stdout()).toContain('Client TLS any certificate; authorisation by identity')
  }, 60_000)
})
