/**
 * The KeyStore contract suite against a real Vault, when one is configured:
 *
 *   VAULT_ADDR                     e.g. https://127.0.0.1:8200
 *   KEYHOLD_VAULT_ROLE_ID / KEYHOLD_VAULT_SECRET_ID   AppRole credentials (or, for Kubernetes,
 *   KEYHOLD_VAULT_K8S_ROLE / KEYHOLD_VAULT_K8S_JWT    a role and a JWT or JWT file)
 *   KEYHOLD_VAULT_ENGINE (kv), KEYHOLD_VAULT_VERSION (v1), VAULT_NAMESPACE, VAULT_CACERT,
 *   KEYHOLD_VAULT_TRANSIT_KEY (optional)
 *
 * docs/vault.md lists the `vault` commands that prepare such a Vault. Every test writes under a
 * fresh `keyhold-test/<random>` prefix and deletes what it wrote.
 */
import { randomBytes } from 'node:crypto'
import { describe, it } from 'vitest'
import { VaultKeyStore, type VaultConfig } from '../../backends/vault/index.js'
import { keystoreContract } from './contract.js'

const env = process.env
const approle = env.KEYHOLD_VAULT_ROLE_ID && env.KEYHOLD_VAULT_SECRET_ID
const k8s = env.KEYHOLD_VAULT_K8S_ROLE && env.KEYHOLD_VAULT_K8S_JWT
const configured = Boolean(env.VAULT_ADDR && (approle || k8s))

if (!configured) {
  describe('KeyStore contract: real Vault', () => {
    it.skip('skipped: set VAULT_ADDR and KEYHOLD_VAULT_ROLE_ID/KEYHOLD_VAULT_SECRET_ID (or KEYHOLD_VAULT_K8S_ROLE/KEYHOLD_VAULT_K8S_JWT) to run it; see docs/vault.md', () => {})
  })
} else {
  const base: Omit<VaultConfig, 'prefix'> = {
    endpoint: env.VAULT_ADDR!.replace(/\/+$/, ''),
    engine: env.KEYHOLD_VAULT_ENGINE ?? 'kv',
    version: env.KEYHOLD_VAULT_VERSION === 'v2' ? 'v2' : 'v1',
    namespace: env.VAULT_NAMESPACE ?? '',
    ...(approle
      ? { approle: { engine: 'approle', id: env.KEYHOLD_VAULT_ROLE_ID!, secret: env.KEYHOLD_VAULT_SECRET_ID! } }
      : { kubernetes: { engine: 'kubernetes', role: env.KEYHOLD_VAULT_K8S_ROLE!, jwt: env.KEYHOLD_VAULT_K8S_JWT! } }),
    ...(env.KEYHOLD_VAULT_TRANSIT_KEY ? { transit: { engine: 'transit', key: env.KEYHOLD_VAULT_TRANSIT_KEY } } : {}),
    tls: env.VAULT_CACERT ? { ca: env.VAULT_CACERT } : {},
    pingMs: 5_000,
    timeoutMs: 10_000,
    retries: 2,
    retryDelayMs: 1_000,
  }
  keystoreContract(`real Vault at ${base.endpoint} (KV ${base.version})`, async () => {
    const prefix = `keyhold-test/${randomBytes(6).toString('hex')}`
    const store = await VaultKeyStore.connect({ ...base, prefix })
    // A second connection deletes what the test wrote (the suite closes `store` first).
    const cleanup = async () => {
      const sweeper = await VaultKeyStore.connect({ ...base, prefix })
      try {
        const { names } = await sweeper.list('', 0, AbortSignal.timeout(15_000))
        for (const n of names) await sweeper.delete(n, AbortSignal.timeout(15_000))
      } finally {
        await sweeper.close()
      }
    }
    return { store, cleanup }
  })
}
