/**
 * Shared set-up of the Vault tests: a TLS Vault stand-in and keystore configs with short timings.
 */
import type { VaultConfig } from '../../../backends/vault/index.js'
import { testPki } from '../../helpers/pki.js'
import { startVaultStandin, type StandinOptions, type VaultStandin } from '../../helpers/vault-standin/standin.js'

export const ROLE_ID = 'keyhold-role-id'
export const SECRET_ID = 'keyhold-secret-id-0123456789'
export const K8S_ROLE = 'keyhold'
export const K8S_JWT = 'eyJhbGciOiJSUzI1NiJ9.stand-in.jwt'

/** startStandin starts a TLS stand-in with an AppRole and a Kubernetes role, KV v1 `kv` and KV v2 `kv2`. */
export async function startStandin(opts: StandinOptions = {}): Promise<VaultStandin> {
  const pki = await testPki()
  return startVaultStandin({
    tls: { cert: pki.server.certPem, key: pki.server.keyPem },
    approle: { roleId: ROLE_ID, secretId: SECRET_ID },
    kubernetes: { role: K8S_ROLE, jwt: K8S_JWT },
    mounts: [
      { path: 'kv', type: 'kv', version: 1 },
      { path: 'kv2', type: 'kv', version: 2 },
      { path: 'transit', type: 'transit' },
    ],
    ...opts,
  })
}

/** vaultConfig returns a config for `standin` using AppRole on the v1 mount, with fast timings. */
export async function vaultConfig(standin: VaultStandin, over: Partial<VaultConfig> = {}): Promise<VaultConfig> {
  const pki = await testPki()
  return {
    endpoint: standin.url,
    engine: 'kv',
    version: 'v1',
    namespace: '',
    prefix: 'keyhold',
    approle: { engine: 'approle', id: ROLE_ID, secret: SECRET_ID },
    tls: { ca: pki.ca.certFile },
    pingMs: 100,
    timeoutMs: 3_000, // generous: the shared CI machine can be very loaded; fault tests set their own
    retries: 2,
    retryDelayMs: 20,
    ...over,
  }
}

/** signal is a fresh, bounded AbortSignal for one keystore call. */
export const signal = (ms = 5_000): AbortSignal => AbortSignal.timeout(ms)

/** waitFor polls `check` until it returns true or `ms` pass (then throws). */
export async function waitFor(check: () => boolean | Promise<boolean>, ms = 5_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`timed out waiting for ${what}`)
}
