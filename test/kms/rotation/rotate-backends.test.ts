/**
 * Rotation on the shared keystores, two Keyhold servers on each: the Vault stand-in (K/V v1 and
 * v2) and a real etcd. The version entries are stored like any key, hidden from listings, and
 * removed with the key; the server that did not rotate decrypts the new version's ciphertexts at
 * once, and with etcd's watch also seals under the new version at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ServerConfig } from '../../../src/kms/config/types.js'
import { startEtcdCluster, type EtcdCluster } from '../../helpers/etcd.js'
import { testPki, type TestPki } from '../../helpers/pki.js'
import { startTestServer, type TestServer } from '../../helpers/server.js'
import type { VaultStandin } from '../../helpers/vault-standin/standin.js'
import { startStandin, vaultConfig } from '../../backends/vault/setup.js'

let pki: TestPki
let standin: VaultStandin
let etcd: EtcdCluster

beforeAll(async () => {
  pki = await testPki()
  standin = await startStandin()
  etcd = await startEtcdCluster({ size: 1 })
}, 60_000)

afterAll(async () => {
  await standin?.close()
  await etcd?.stop()
})

const admin = () => pki.clients.admin
const b64 = (s: string) => Buffer.from(s).toString('base64')

async function seal(s: TestServer, name: string, text: string): Promise<string> {
  const r = await s.call(admin(), 'POST', `/v1/key/encrypt/${name}`, { plaintext: b64(text) })
  expect(r.status, r.text).toBe(200)
  return (r.json as { ciphertext: string }).ciphertext
}

async function open(s: TestServer, name: string, ciphertext: string): Promise<string | number> {
  const r = await s.call(admin(), 'POST', `/v1/key/decrypt/${name}`, { ciphertext })
  return r.status === 200 ? Buffer.from((r.json as { plaintext: string }).plaintext, 'base64').toString() : r.status
}

function suite(label: string, keystore: () => Promise<ServerConfig['keystore']>, watched: boolean): void {
  describe(label, () => {
    let a: TestServer
    let b: TestServer
    beforeAll(async () => {
      const shared = await keystore() // one config: etcd's gives each call its own prefix
      a = await startTestServer({ keystore: shared })
      b = await startTestServer({ keystore: shared })
    }, 60_000)

    it('rotates on one server; the other decrypts every version at once', async () => {
      expect((await a.call(admin(), 'POST', '/v1/key/create/bk')).status).toBe(200)
      const v1 = await seal(b, 'bk', 'one') // b caches version 1
      expect((await a.call(admin(), 'PUT', '/v1/key/rotate/bk')).json).toMatchObject({ version: 2 })
      const v2 = await seal(a, 'bk', 'two')
      for (const s of [a, b]) expect([await open(s, 'bk', v1), await open(s, 'bk', v2)]).toEqual(['one', 'two'])
      if (watched) {
        // etcd's watch drops b's copy (within moments, not cache.expiry.any): b then seals under version 2.
        const deadline = Date.now() + 5_000
        while (((await b.call(admin(), 'GET', '/v1/key/describe/bk')).json as { version?: number }).version !== 2) {
          if (Date.now() > deadline) throw new Error('the watch did not drop the old version')
          await new Promise((r) => setTimeout(r, 50))
        }
        const fromB = await seal(b, 'bk', 'three')
        expect(await open(a, 'bk', fromB)).toBe('three')
      }
      expect((await b.call(admin(), 'GET', '/v1/key/list/bk*')).json).toEqual({ names: ['bk'] })
      const d = (await b.call(admin(), 'GET', '/v1/key/describe/bk')).json as { versions: { version: number }[] }
      expect(d.versions.map((v) => v.version)).toEqual([2, 1])
    }, 60_000)

    it('deletes every version with the key', async () => {
      await a.call(admin(), 'POST', '/v1/key/create/bk-del')
      const old = await seal(a, 'bk-del', 'old')
      await a.call(admin(), 'PUT', '/v1/key/rotate/bk-del')
      expect((await a.call(admin(), 'DELETE', '/v1/key/delete/bk-del')).status).toBe(200)
      await a.call(admin(), 'POST', '/v1/key/create/bk-del')
      expect(await open(a, 'bk-del', old)).toBe(400)
      expect(((await a.call(admin(), 'GET', '/v1/key/describe/bk-del')).json as object)).not.toHaveProperty('versions')
    }, 60_000)
  })
}

suite('Vault stand-in, K/V v1', async () => ({ kind: 'vault', config: await vaultConfig(standin) }), false)
suite('Vault stand-in, K/V v2', async () => ({ kind: 'vault', config: await vaultConfig(standin, { engine: 'kv2', version: 'v2', prefix: 'rot' }) }), false)
suite('etcd', async () => ({ kind: 'etcd', config: etcd.config() }), true)
