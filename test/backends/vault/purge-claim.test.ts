/**
 * The purge claim on Vault KV v2 (stand-in): two servers whose purge runs start in the same
 * millisecond must not both purge a key. Vault's create takes finding exactly its own value after a
 * lost answer for its own write, so the claim must be unique to the purger, not only to the time.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { VaultKeyStore } from '../../../backends/vault/index.js'
import type { KeyStore } from '../../../src/kms/keystore/keystore.js'
import { encodeKeyVersion, generateKeyVersion } from '../../../src/kms/crypto/key.js'
import { KeyCache } from '../../../src/kms/keystore/cache.js'
import { purgeDueKeys } from '../../../src/kms/keystore/key-purge.js'
import { keyBinding, PURGE_CLAIM } from '../../../src/kms/keystore/key-state.js'
import { KeyStates } from '../../../src/kms/keystore/key-states.js'
import type { VaultStandin } from '../../helpers/vault-standin/standin.js'
import { signal, startStandin, vaultConfig } from './setup.js'

let standin: VaultStandin
beforeAll(async () => {
  standin = await startStandin()
})
afterAll(async () => {
  await standin?.close()
})

/**
 * inStep wraps each store so that claims are created only once both purgers ask for the same one:
 * the two creates then race at Vault, as two servers whose runs started together would.
 */
function inStep(stores: VaultKeyStore[]): KeyStore[] {
  const waiting = new Map<string, () => void>()
  const meet = (name: string) =>
    new Promise<void>((resolve) => {
      const other = waiting.get(name)
      if (other === undefined) waiting.set(name, resolve)
      else {
        waiting.delete(name)
        other()
        resolve()
      }
    })
  return stores.map((store) => new Proxy(store, {
    get(target, prop) {
      // Bound to the store itself: its methods use private fields, which a proxy does not have.
      if (prop !== 'create') {
        const v = Reflect.get(target, prop, target) as unknown
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
      }
      return async (name: string, value: Uint8Array, sig: AbortSignal) => {
        if (name.startsWith(PURGE_CLAIM)) await meet(name)
        return target.create(name, value, sig)
      }
    },
  }))
}

it('purges each due key once when two servers run at the same instant', async () => {
  const config = await vaultConfig(standin, { engine: 'kv2', version: 'v2', prefix: 'purge-claim' })
  const vaults = await Promise.all([VaultKeyStore.connect(config), VaultKeyStore.connect(config)])
  const servers = inStep(vaults).map((store) => ({ store, keys: new KeyCache(store, { anyMs: 60_000, unusedMs: 60_000, offlineMs: 0, probeMs: 0 }), states: new KeyStates(store, { anyMs: 60_000 }) }))
  try {
    const [a] = servers
    const names = Array.from({ length: 12 }, (_, i) => `k${i}`)
    for (const name of names) {
      const key = generateKeyVersion('admin')
      await a!.store.create(name, encodeKeyVersion(key), signal())
      await a!.states.set(name, await a!.states.read(name, signal()), {
        status: 'scheduled', decrypt: false, keyCreatedAt: keyBinding(key.createdAt), changedAt: new Date(), changedBy: 'admin', deleteAt: new Date(Date.now() - 1),
      }, signal())
    }
    const now = Date.now()
    const runs = await Promise.all(servers.map((s) => purgeDueKeys(s, signal(20_000), now)))
    expect(runs.flat().sort()).toEqual([...names].sort())
  } finally {
    for (const s of servers) await s.keys.close()
    for (const v of vaults) await v.close?.()
  }
}, 30_000)
