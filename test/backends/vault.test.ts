/**
 * The KeyStore contract suite against the Vault stand-in: KV v1 and v2, each with AppRole and
 * Kubernetes login; plus namespaces with transit wrapping. Each test gets a fresh prefix.
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll } from 'vitest'
import { VaultKeyStore, type VaultConfig } from '../../backends/vault/index.js'
import { K8S_JWT, K8S_ROLE, startStandin, vaultConfig } from './vault/setup.js'
import type { VaultStandin } from '../helpers/vault-standin/standin.js'
import { keystoreContract } from './contract.js'

let standin: VaultStandin
beforeAll(async () => {
  standin = await startStandin({
    namespaces: ['team-a'],
    mounts: [
      { path: 'kv', type: 'kv', version: 1 },
      { path: 'kv2', type: 'kv', version: 2 },
      { path: 'kv2', type: 'kv', version: 2, namespace: 'team-a' },
      { path: 'transit', type: 'transit', namespace: 'team-a' },
    ],
  })
})
afterAll(() => standin.close())

const kubernetes = { approle: undefined, kubernetes: { engine: 'kubernetes', role: K8S_ROLE, jwt: K8S_JWT } }
const variants: Array<[string, Partial<VaultConfig>]> = [
  ['vault stand-in, KV v1, AppRole', { engine: 'kv', version: 'v1' }],
  ['vault stand-in, KV v2, AppRole', { engine: 'kv2', version: 'v2' }],
  ['vault stand-in, KV v1, Kubernetes', { engine: 'kv', version: 'v1', ...kubernetes }],
  ['vault stand-in, KV v2, Kubernetes', { engine: 'kv2', version: 'v2', ...kubernetes }],
  ['vault stand-in, KV v2, namespace + transit', { engine: 'kv2', version: 'v2', namespace: 'team-a', transit: { engine: 'transit', key: 'keyhold' } }],
]

for (const [name, over] of variants) {
  keystoreContract(name, async () => {
    const prefix = `contract/${randomBytes(6).toString('hex')}`
    const store = await VaultKeyStore.connect(await vaultConfig(standin, { ...over, prefix }), { log: () => {} })
    return { store, cleanup: async () => {} }
  })
}
