/**
 * The Vault keystore's lifecycle against the stand-in: namespace headers, token renewal and
 * re-login, sealing, outages, slowness, retries and permission errors. All waits are bounded.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { VaultKeyStore, type VaultConfig } from '../../../backends/vault/index.js'
import { KeyNotFoundError, UnreachableError } from '../../../src/kms/keystore/keystore.js'
import type { VaultStandin } from '../../helpers/vault-standin/standin.js'
import { K8S_ROLE, signal, startStandin, vaultConfig, waitFor } from './setup.js'

const enc = (s: string) => new TextEncoder().encode(s)
const dec = (b: Uint8Array) => new TextDecoder().decode(b)

let standin: VaultStandin | undefined
let store: VaultKeyStore | undefined
afterEach(async () => {
  await store?.close()
  await standin?.close().catch(() => {})
  store = standin = undefined
})

type Line = { level: string; msg: string; fields?: Record<string, unknown> }
async function setup(over: Partial<VaultConfig> = {}, standinOpts: Parameters<typeof startStandin>[0] = {}) {
  standin = await startStandin(standinOpts)
  const lines: Line[] = []
  store = await VaultKeyStore.connect(await vaultConfig(standin, over), { log: (level, msg, fields) => lines.push({ level, msg, fields }) })
  return { standin, store, lines }
}

describe('namespaces', () => {
  it('sends X-Vault-Namespace on login, KV and renew-self, but never on sys/health', async () => {
    const { standin, store } = await setup(
      { namespace: 'team-a', engine: 'kv2', version: 'v2' },
      { namespaces: ['team-a'], mounts: [{ path: 'kv2', type: 'kv', version: 2, namespace: 'team-a' }], tokenTtlSec: 1 },
    )
    await store.create('ns-key', enc('v'), signal())
    expect(dec(await store.get('ns-key', signal()))).toBe('v')
    await waitFor(() => standin.requests.some((r) => r.path === '/v1/auth/token/renew-self'), 3_000, 'renew-self')
    const ns = (path: string) => standin.requests.filter((r) => r.path === path).map((r) => r.headers['x-vault-namespace'])
    expect(ns('/v1/auth/approle/login')).toEqual(['team-a'])
    expect(new Set(ns('/v1/kv2/data/keyhold/ns-key'))).toEqual(new Set(['team-a']))
    expect(new Set(ns('/v1/auth/token/renew-self'))).toEqual(new Set(['team-a']))
    expect(new Set(ns('/v1/sys/health'))).toEqual(new Set([undefined]))
    expect(standin.requests.every((r) => r.headers['x-vault-request'] === 'true')).toBe(true)
  })

  it("logs in without a namespace header when the login namespace is '/' (root)", async () => {
    const { standin } = await setup(
      { namespace: 'team-a', approle: { engine: 'approle', id: 'keyhold-role-id', secret: 'keyhold-secret-id-0123456789', namespace: '' } },
      { namespaces: ['team-a'], mounts: [{ path: 'kv', type: 'kv', namespace: 'team-a' }] },
    )
    const loginReq = standin.requests.find((r) => r.path === '/v1/auth/approle/login')!
    expect(loginReq.headers['x-vault-namespace']).toBeUndefined()
    expect(loginReq.method).toBe('PUT')
    expect(JSON.parse(loginReq.body)).toEqual({ role_id: 'keyhold-role-id', secret_id: 'keyhold-secret-id-0123456789' })
  })
})

describe('token lifecycle', () => {
  it('renews the token at 80% of its TTL and keeps working past the original TTL', async () => {
    const { standin, store } = await setup({}, { tokenTtlSec: 1.5 })
    const loggedInAt = Date.now()
    await store.create('long-lived', enc('v'), signal())
    await waitFor(() => standin.requests.some((r) => r.path === '/v1/auth/token/renew-self'), 5_000, 'a renewal')
    await new Promise((r) => setTimeout(r, Math.max(0, loggedInAt + 1_600 - Date.now()))) // past the first TTL
    const renew = standin.requests.find((r) => r.path === '/v1/auth/token/renew-self')!
    expect(JSON.parse(renew.body)).toEqual({ increment: 0 })
    expect(standin.requests.filter((r) => r.path === '/v1/auth/approle/login')).toHaveLength(1)
    expect(dec(await store.get('long-lived', signal()))).toBe('v')
  })

  it('logs in again instead of renewing ever shorter leases near the max TTL', async () => {
    const { standin, store } = await setup({}, { tokenTtlSec: 0.5, tokenMaxTtlSec: 0.9 })
    await waitFor(() => standin.requests.filter((r) => r.path === '/v1/auth/approle/login').length >= 2, 3_000, 're-login')
    expect(standin.requests.filter((r) => r.path === '/v1/auth/token/renew-self').length).toBeLessThanOrEqual(4)
    await expect(store.get('x', signal())).rejects.toBeInstanceOf(KeyNotFoundError)
  })

  it('logs in again when the token is not renewable', async () => {
    const { standin, store } = await setup({}, { tokenTtlSec: 0.6, renewable: false })
    await waitFor(() => standin.requests.filter((r) => r.path === '/v1/auth/approle/login').length >= 3, 3_000, 're-logins')
    expect(standin.requests.some((r) => r.path === '/v1/auth/token/renew-self')).toBe(false)
    await expect(store.get('x', signal())).rejects.toBeInstanceOf(KeyNotFoundError)
  })

  it('logs in again when renewal fails, and re-reads the Kubernetes JWT file at every login', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyhold-jwt-'))
    const jwtFile = join(dir, 'token')
    writeFileSync(jwtFile, 'jwt-one\n')
    const { standin, store } = await setup(
      { approle: undefined, kubernetes: { engine: 'kubernetes', role: K8S_ROLE, jwt: jwtFile } },
      { kubernetes: { role: K8S_ROLE, jwt: 'jwt-one' }, tokenTtlSec: 0.6 },
    )
    // The projected token rotates, and Vault stops renewing the old lease.
    writeFileSync(jwtFile, 'jwt-two\n')
    standin.opts.kubernetes!.jwt = 'jwt-two'
    standin.failNext(10, 403, 'auth/token/renew-self')
    await waitFor(() => standin.requests.filter((r) => r.path === '/v1/auth/kubernetes/login').length >= 2, 3_000, 're-login')
    const logins = standin.requests.filter((r) => r.path === '/v1/auth/kubernetes/login').map((r) => JSON.parse(r.body).jwt)
    expect(logins.slice(0, 2)).toEqual(['jwt-one', 'jwt-two'])
    // A 4xx ends renewal attempts at once: one renew-self before the re-login.
    await expect(store.get('x', signal())).rejects.toBeInstanceOf(KeyNotFoundError)
  })

  it('recovers by itself when the token expires mid-run (403 → re-login → retry)', async () => {
    const { standin, store } = await setup({ pingMs: 60_000 })
    await store.create('survivor', enc('v'), signal())
    standin.expireTokens()
    expect(dec(await store.get('survivor', signal()))).toBe('v')
    expect(standin.requests.filter((r) => r.path === '/v1/auth/approle/login')).toHaveLength(2)
  })
})

describe('permission problems', () => {
  it('logs a 403 on one path as a permission problem with the path, never the token', async () => {
    const { standin, store, lines } = await setup()
    await store.create('open', enc('v'), signal())
    await store.create('locked', enc('v'), signal())
    standin.deny('kv/keyhold/locked')
    await expect(store.get('locked', signal())).rejects.toThrow('vault: permission denied on GET /v1/kv/keyhold/locked')
    expect(dec(await store.get('open', signal()))).toBe('v')
    const line = lines.find((l) => l.msg.includes('permission denied'))!
    expect(line.level).toBe('error')
    expect(line.fields).toEqual({ method: 'GET', path: '/v1/kv/keyhold/locked' })
    const tokens = [...standin.tokens.issued.keys()]
    const logged = JSON.stringify(lines)
    for (const t of tokens) expect(logged).not.toContain(t)
    expect(logged).not.toContain('keyhold-secret-id')
  })

  it('does not storm Vault with logins when one path keeps answering 403', async () => {
    const { standin, store } = await setup()
    standin.deny('kv/keyhold/locked')
    const logins = () => standin.requests.filter((r) => r.path === '/v1/auth/approle/login').length
    const before = logins()
    await Promise.all(Array.from({ length: 10 }, () => expect(store.get('locked', signal())).rejects.toThrow('permission denied')))
    for (let i = 0; i < 5; i++) await expect(store.get('locked', signal())).rejects.toThrow('permission denied')
    expect(logins() - before).toBe(1)
  })

  it('fails to connect with the login error when the AppRole secret is wrong', async () => {
    standin = await startStandin()
    const cfg = await vaultConfig(standin, { approle: { engine: 'approle', id: 'keyhold-role-id', secret: 'wrong' } })
    await expect(VaultKeyStore.connect(cfg, { log: () => {} })).rejects.toThrow('invalid role or secret ID')
  })
})

describe('health and faults', () => {
  it('fails fast while sealed, without contacting Vault, and recovers after unsealing', async () => {
    const { standin, store } = await setup()
    await store.create('k', enc('v'), signal())
    standin.seal()
    await expect(store.status(signal())).rejects.toThrow('vault: key store is sealed')
    const seen = standin.requests.length
    await expect(store.get('k', signal())).rejects.toThrow(UnreachableError)
    await expect(store.get('k', signal())).rejects.toThrow('vault: key store is sealed')
    expect(standin.requests.slice(seen).filter((r) => r.path !== '/v1/sys/health')).toEqual([])
    standin.unseal()
    await waitFor(async () => (await store.get('k', signal()).then(() => true, () => false)), 3_000, 'recovery')
    expect((await store.status(signal())).latencyMs).toBeGreaterThanOrEqual(0)
  })

  it('pauses renewal while sealed', async () => {
    const { standin } = await setup({}, { tokenTtlSec: 0.5 })
    standin.seal()
    await waitFor(() => standin.requests.at(-1)?.path === '/v1/sys/health', 1_000, 'a health check')
    const seen = standin.requests.length
    await new Promise((r) => setTimeout(r, 800))
    expect(standin.requests.slice(seen).filter((r) => r.path.startsWith('/v1/auth/'))).toEqual([])
  })

  it('reports a standby-only or uninitialised Vault as unreachable', async () => {
    const { standin, store } = await setup()
    standin.health.standby = true
    await expect(store.status(signal())).rejects.toThrow('vault: key store is a standby node')
    standin.health.standby = false
    standin.health.initialized = false
    await expect(store.status(signal())).rejects.toThrow('vault: key store is not initialized')
    standin.health.initialized = true
    await expect(store.status(signal())).resolves.toBeDefined()
  })

  it('answers UnreachableError within the timeout when Vault is down, and recovers when it is back', async () => {
    const { standin, store } = await setup({ retries: 1 })
    await store.create('k', enc('v'), signal())
    standin.faults.dropNext = 1_000_000 // every connection is cut: as good as down
    const start = Date.now()
    await expect(store.get('k', signal())).rejects.toBeInstanceOf(UnreachableError)
    await expect(store.status(signal())).rejects.toThrow('vault: key store is not reachable')
    expect(Date.now() - start).toBeLessThan(2_500) // no timeout involved: cut connections fail at once
    standin.faults.dropNext = 0
    await waitFor(async () => (await store.get('k', signal()).then(() => true, () => false)), 3_000, 'recovery')
  })

  it('never hangs on a slow Vault: the request times out', async () => {
    const { standin, store } = await setup({ retries: 0, timeoutMs: 400 })
    standin.faults.latencyMs = 5_000
    const start = Date.now()
    await expect(store.get('slow', signal())).rejects.toBeInstanceOf(UnreachableError)
    expect(Date.now() - start).toBeLessThan(2_500)
    standin.faults.latencyMs = 0
    await waitFor(async () => (await store.get('slow', signal()).then(() => false, (e) => e instanceof KeyNotFoundError)), 3_000, 'recovery')
  })

  it('retries 5xx, 429 (Retry-After) and dropped connections like the Go client', async () => {
    const { standin, store } = await setup({ pingMs: 60_000 })
    await store.create('k', enc('v'), signal())
    standin.failNext(2, 500, 'kv/')
    expect(dec(await store.get('k', signal()))).toBe('v')
    standin.failNext(1, 429, 'kv/', '0')
    expect(dec(await store.get('k', signal()))).toBe('v')
    standin.faults.dropNext = 1
    expect(dec(await store.get('k', signal()))).toBe('v')
    standin.failNext(3, 502, 'kv/')
    await expect(store.get('k', signal())).rejects.toThrow('HTTP 502')
    standin.failNext(1, 501, 'kv/')
    await expect(store.get('k', signal())).rejects.toThrow() // 501 is not retried
    expect(dec(await store.get('k', signal()))).toBe('v')
  })

  it('follows one redirect (a node pointing at the active node), but not a redirect loop', async () => {
    const { standin: active } = await setup()
    const front = await startStandin()
    try {
      front.faults.redirectTo = active.url
      const viaFront = await VaultKeyStore.connect(await vaultConfig(front), { log: () => {} })
      try {
        await viaFront.create('redirected', enc('v'), signal())
        const kv = active.mount('kv')!
        if (kv.type !== 'kv' || kv.version !== 1) throw new Error('kv v1 expected')
        expect(kv.secrets.get('keyhold/redirected')).toEqual({ redirected: 'v' })
        active.faults.redirectTo = front.url // now each sends the client to the other
        await expect(viaFront.get('redirected', signal())).rejects.toThrow()
      } finally {
        await viaFront.close()
        active.faults.redirectTo = undefined
      }
    } finally {
      await front.close()
    }
  })

  it('stops at once when the caller aborts', async () => {
    const { standin, store } = await setup({ timeoutMs: 5_000 })
    standin.faults.latencyMs = 5_000
    const start = Date.now()
    await expect(store.get('k', AbortSignal.timeout(100))).rejects.toThrow()
    expect(Date.now() - start).toBeLessThan(2_500)
  })
})
