/**
 * One key view: a key deleted or re-created through one worker is gone or new in every worker
 * before the answer is sent, on real `keyhold server` processes (fs and the Vault stand-in with
 * `--workers 2`, memory with its single worker), every request on a fresh TLS connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli } from '../../cli/run.js'
import { testPki, type TestPki } from '../../helpers/pki.js'
import { send } from '../../helpers/server.js'
import { spawnServer, type SpawnedServer } from '../observability/spawn-server.js'
import { ROLE_ID, SECRET_ID, startStandin } from '../../backends/vault/setup.js'
import type { VaultStandin } from '../../helpers/vault-standin/standin.js'
import { deleteScenario, recreateScenario, type Target } from './key-scenario.js'

let pki: TestPki
beforeAll(async () => {
  pki = await testPki()
})

/** Each keystore's server: spawned once, both scenarios run against it; `shared`: a keystore other servers may share. */
function suite(label: string, start: () => Promise<SpawnedServer>, shared = false): void {
  describe(label, () => {
    let server: SpawnedServer | undefined
    let target: Target
    beforeAll(async () => {
      server = await start()
      target = { url: server.url, pki }
    }, 60_000)
    afterAll(async () => {
      await server?.stop()
    })

    it('a deleted key answers 404 in every worker at once, and re-created it is the new key everywhere', async () => {
      await deleteScenario(target, 'k1')
    }, 60_000)

    it('a key deleted and re-imported with other material seals every later data key under the new material only', async () => {
      await recreateScenario(target, 'k2')
    }, 60_000)

    it('kept every worker: each acknowledged in time, none was restarted', () => {
      expect(server!.stderr()).not.toMatch(/did not drop|exited|replacement/)
    })

    it(shared ? 'states the bound for other servers on the keystore: one start-up line, and `keyhold key rm` notes it' : 'says nothing about other servers: the keystore is its own', async () => {
      const lines = server!.stderr().split('\n').filter((l) => l.includes('can be shared by several Keyhold servers'))
      expect(lines).toEqual(shared ? [expect.stringContaining('stays usable, with its old material, on this one for up to 300s (cache.expiry.any)')] : [])
      expect((await send(target.url, pki, pki.clients.admin, 'POST', '/v1/key/create/k3')).status).toBe(200)
      const env = { KES_SERVER: target.url, KES_CAPATH: pki.ca.certFile, KES_CLIENT_CERT: pki.clients.admin.certFile, KES_CLIENT_KEY: pki.clients.admin.keyFile }
      const rm = await cli(['key', 'rm', 'k3'], env)
      expect(rm).toEqual({
        code: 0,
        stdout: '',
        stderr: shared ? 'note: key "k3" is deleted; other Keyhold servers sharing this keystore may still use it for up to 5m (cache.expiry.any)\n' : '',
      })
    })
  })
}

const LOG = 'log:\n  error: warn\n'

suite('fs keystore, --workers 2', () => spawnServer(pki, LOG, ['--workers', '2']))

suite('memory keystore (one worker)', () => spawnServer(pki, LOG, ['--workers', '1'], '  memory: {}'))

let standin: VaultStandin | undefined
afterAll(async () => {
  await standin?.close()
})
suite('Vault keystore (stand-in), --workers 2', async () => {
  standin = await startStandin()
  const vault = `  vault:
    endpoint: ${standin.url}
    engine: kv
    version: v1
    prefix: keyhold
    approle:
      id: ${ROLE_ID}
      secret: ${SECRET_ID}
    tls:
      ca: ${pki.ca.certFile}`
  return spawnServer(pki, LOG, ['--workers', '2'], vault)
}, true)
