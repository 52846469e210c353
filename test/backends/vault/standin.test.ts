/**
 * The Vault stand-in itself answers as a real Vault does (docs/vault.md, "What the stand-in answers"):
 * every other Vault test trusts it, so its answers are pinned here with raw HTTP requests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startVaultStandin, type VaultStandin } from '../../helpers/vault-standin/standin.js'

let standin: VaultStandin
let token = ''

async function call(method: string, path: string, opts: { body?: unknown; ns?: string; token?: string | null } = {}) {
  const headers: Record<string, string> = {}
  const t = opts.token === undefined ? token : opts.token
  if (t) headers['X-Vault-Token'] = t
  if (opts.ns) headers['X-Vault-Namespace'] = opts.ns
  const res = await fetch(standin.url + path, {
    method,
    headers,
    ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
    signal: AbortSignal.timeout(5_000),
  })
  const text = await res.text()
  return { status: res.status, text, json: text ? (JSON.parse(text) as Record<string, any>) : undefined } // eslint-disable-line @typescript-eslint/no-explicit-any
}

beforeAll(async () => {
  standin = await startVaultStandin({
    approle: { roleId: 'r', secretId: 's' },
    kubernetes: { role: 'k', jwt: 'j' },
    namespaces: ['ns1'],
    mounts: [
      { path: 'kv', type: 'kv', version: 1 },
      { path: 'kv2', type: 'kv', version: 2 },
      { path: 'strict', type: 'kv', version: 2, casRequired: true },
      { path: 'transit', type: 'transit' },
    ],
    tokenTtlSec: 60,
  })
  const login = await call('POST', '/v1/auth/approle/login', { body: { role_id: 'r', secret_id: 's' }, token: null })
  token = login.json!.auth.client_token
})
afterAll(() => standin.close())

describe('Vault stand-in answers', () => {
  it('login: auth envelope with the TTL under auth; 400 for bad AppRole creds; 403 for a bad JWT', async () => {
    const ok = await call('PUT', '/v1/auth/approle/login', { body: { role_id: 'r', secret_id: 's' }, token: null })
    expect(ok.status).toBe(200)
    expect(ok.json).toMatchObject({ lease_duration: 0, renewable: false, data: null, auth: { lease_duration: 60, renewable: true } })
    expect(ok.json!.auth.client_token).toMatch(/^hvs\./)
    expect(await call('PUT', '/v1/auth/approle/login', { body: { role_id: 'r', secret_id: 'x' }, token: null })).toMatchObject({
      status: 400,
      json: { errors: ['invalid role or secret ID'] },
    })
    expect((await call('PUT', '/v1/auth/approle/login', { body: {}, token: null })).json).toEqual({ errors: ['missing role_id'] })
    expect((await call('PUT', '/v1/auth/kubernetes/login', { body: { role: 'k', jwt: 'bad' }, token: null })).status).toBe(403)
    expect((await call('PUT', '/v1/auth/kubernetes/login', { body: { role: 'k', jwt: 'j' }, token: null })).status).toBe(200)
  })

  it('KV v1: 204 on write, 400 on an empty write, envelope on read, 404 {"errors":[]} on a miss, 204 on delete', async () => {
    expect((await call('PUT', '/v1/kv/p/a', { body: { a: 'v' } })).status).toBe(204)
    expect(await call('PUT', '/v1/kv/p/b', { body: {} })).toMatchObject({ status: 400, json: { errors: ['missing data fields'] } })
    const read = await call('GET', '/v1/kv/p/a')
    expect(read.status).toBe(200)
    expect(read.json).toMatchObject({ data: { a: 'v' }, lease_duration: 2764800, lease_id: '', renewable: false })
    const miss = await call('GET', '/v1/kv/p/zz')
    expect([miss.status, miss.text]).toEqual([404, '{"errors":[]}\n'])
    expect((await call('DELETE', '/v1/kv/p/zz')).status).toBe(204)
  })

  it('lists with LIST and GET ?list=true alike; folders end in /; empty is 404 {"errors":[]}', async () => {
    await call('PUT', '/v1/kv/l/x', { body: { x: '1' } })
    await call('PUT', '/v1/kv/l/sub/y', { body: { y: '1' } })
    expect((await call('LIST', '/v1/kv/l')).json!.data).toEqual({ keys: ['sub/', 'x'] })
    expect((await call('GET', '/v1/kv/l/?list=true')).json!.data).toEqual({ keys: ['sub/', 'x'] })
    expect(await call('GET', '/v1/kv/nothing?list=true')).toMatchObject({ status: 404, json: { errors: [] } })
  })

  it('KV v2: cas 0 creates once, then 400 mismatch; version reads; metadata delete frees the name', async () => {
    const w = await call('PUT', '/v1/kv2/data/p/k', { body: { options: { cas: 0 }, data: { k: 'v' } } })
    expect(w.status).toBe(200)
    expect(w.json!.data).toMatchObject({ version: 1, destroyed: false, deletion_time: '' })
    expect(await call('PUT', '/v1/kv2/data/p/k', { body: { options: { cas: 0 }, data: { k: 'w' } } })).toMatchObject({
      status: 400,
      json: { errors: ['check-and-set parameter did not match the current version'] },
    })
    expect(await call('PUT', '/v1/kv2/data/p/k', { body: { options: {} } })).toMatchObject({ status: 400, json: { errors: ['no data provided'] } })
    expect((await call('GET', '/v1/kv2/data/p/k?version=1')).json!.data).toMatchObject({ data: { k: 'v' }, metadata: { version: 1 } })
    expect(await call('GET', '/v1/kv2/data/p/k?version=2')).toMatchObject({ status: 404, json: { errors: [] } })
    expect((await call('GET', '/v1/kv2/metadata/p?list=true')).json!.data).toEqual({ keys: ['k'] })
    expect((await call('DELETE', '/v1/kv2/metadata/p/k')).status).toBe(204)
    expect((await call('PUT', '/v1/kv2/data/p/k', { body: { options: { cas: 0 }, data: { k: 'x' } } })).json!.data.version).toBe(1)
  })

  it('KV v2: a soft-deleted version is 404 with data:null; v1-style paths get a 404 warning; cas_required', async () => {
    await call('PUT', '/v1/kv2/data/s/k', { body: { data: { k: 'v' } } })
    expect((await call('DELETE', '/v1/kv2/data/s/k')).status).toBe(204)
    const soft = await call('GET', '/v1/kv2/data/s/k')
    expect(soft.status).toBe(404)
    expect(soft.json!.data.data).toBeNull()
    expect(soft.json!.data.metadata.deletion_time).not.toBe('')
    expect((await call('PUT', '/v1/kv2/data/s/k', { body: { options: { cas: 0 }, data: { k: 'w' } } })).status).toBe(400)
    expect((await call('GET', '/v1/kv2/metadata?list=true')).json!.data.keys).toContain('s/')
    const mismatch = await call('GET', '/v1/kv2/s/k')
    expect(mismatch.status).toBe(404)
    expect(mismatch.json).toMatchObject({ data: null, warnings: [expect.stringContaining('Invalid path for a versioned K/V secrets engine')] })
    expect((await call('PUT', '/v1/strict/data/a', { body: { data: { a: '1' } } })).json).toEqual({ errors: ['check-and-set parameter required for this call'] })
  })

  it('403 without or with a bad token; 404 naming the route on an unknown mount or namespace', async () => {
    expect(await call('GET', '/v1/kv/p/a', { token: null })).toMatchObject({ status: 403, json: { errors: ['permission denied'] } })
    expect((await call('GET', '/v1/kv/p/a', { token: 'hvs.bogus' })).status).toBe(403)
    expect(await call('GET', '/v1/nomount/x')).toMatchObject({ status: 404, json: { errors: [expect.stringContaining('no handler for route')] } })
    expect((await call('GET', '/v1/kv/p/a', { ns: 'ns-unknown' })).status).toBe(404)
    expect((await call('GET', '/v1/kv/p/a', { ns: 'ns1' })).status).toBe(404) // no kv mount in ns1
  })

  it('renew-self: 200 with the same token; 403 for an expired token; 400 when not renewable', async () => {
    const r = await call('PUT', '/v1/auth/token/renew-self', { body: { increment: 0 } })
    expect(r.status).toBe(200)
    expect(r.json!.auth).toMatchObject({ client_token: token, lease_duration: 60, renewable: true })
    standin.tokenPolicy.renewable = false
    const once = (await call('PUT', '/v1/auth/approle/login', { body: { role_id: 'r', secret_id: 's' }, token: null })).json!.auth.client_token
    standin.tokenPolicy.renewable = true
    expect((await call('PUT', '/v1/auth/token/renew-self', { token: once, body: {} })).status).toBe(400)
    const doomed = (await call('PUT', '/v1/auth/approle/login', { body: { role_id: 'r', secret_id: 's' }, token: null })).json!.auth.client_token
    standin.tokens.issued.get(doomed)!.expiresAt = 0
    expect((await call('PUT', '/v1/auth/token/renew-self', { token: doomed, body: {} })).status).toBe(403)
  })

  it('sys/health: default codes, *code overrides, 400 on a bad override, 404 with a namespace header', async () => {
    expect(await call('GET', '/v1/sys/health', { token: null })).toMatchObject({ status: 200, json: { initialized: true, sealed: false, standby: false } })
    standin.seal()
    try {
      const sealed = await call('GET', '/v1/sys/health', { token: null })
      expect(sealed).toMatchObject({ status: 503, json: { sealed: true, standby: true } })
      expect(sealed.json!.cluster_name).toBeUndefined()
      expect((await call('GET', '/v1/sys/health?sealedcode=299&uninitcode=299&removedcode=299', { token: null })).status).toBe(299)
      expect(await call('GET', '/v1/kv/p/a')).toMatchObject({ status: 503, json: { errors: ['Vault is sealed'] } })
      expect((await call('PUT', '/v1/auth/approle/login', { body: { role_id: 'r', secret_id: 's' }, token: null })).status).toBe(503)
    } finally {
      standin.unseal()
    }
    standin.health.standby = true
    expect((await call('GET', '/v1/sys/health', { token: null })).status).toBe(429)
    expect((await call('GET', '/v1/sys/health?standbyok=true', { token: null })).status).toBe(200)
    standin.health.standby = false
    expect((await call('GET', '/v1/sys/health?activecode=abc', { token: null })).status).toBe(400)
    expect(await call('GET', '/v1/sys/health', { ns: 'ns1', token: null })).toMatchObject({ status: 404, json: { errors: ['unsupported path'] } })
  })

  it('transit: vault:v1: ciphertexts that decrypt; 400 for an unknown key', async () => {
    const enc = await call('POST', '/v1/transit/encrypt/k', { body: { plaintext: Buffer.from('hi').toString('base64') } })
    expect(enc.json!.data.ciphertext).toMatch(/^vault:v1:/)
    const dec = await call('POST', '/v1/transit/decrypt/k', { body: { ciphertext: enc.json!.data.ciphertext } })
    expect(Buffer.from(dec.json!.data.plaintext, 'base64').toString()).toBe('hi')
    expect(await call('POST', '/v1/transit/decrypt/none', { body: { ciphertext: enc.json!.data.ciphertext } })).toMatchObject({
      status: 400,
      json: { errors: ['encryption key not found'] },
    })
  })

  it('faults: injected status with Retry-After, dropped connections, latency', async () => {
    standin.failNext(1, 429, 'kv/', '1')
    const res = await fetch(standin.url + '/v1/kv/p/a', { headers: { 'X-Vault-Token': token } })
    expect([res.status, res.headers.get('retry-after')]).toEqual([429, '1'])
    standin.faults.dropNext = 1
    await expect(fetch(standin.url + '/v1/kv/p/a', { headers: { 'X-Vault-Token': token } })).rejects.toThrow()
    standin.faults.latencyMs = 150
    const start = Date.now()
    await call('GET', '/v1/kv/p/a')
    expect(Date.now() - start).toBeGreaterThanOrEqual(140)
    standin.faults.latencyMs = 0
  })
})
