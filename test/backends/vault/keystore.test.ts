/**
 * The Vault keystore against the Vault stand-in: KES semantics and storage layout for KV v1 and
 * v2 with each auth method.
 */
import { writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { VaultKeyStore, type VaultConfig } from '../../../backends/vault/index.js'
import { KeyExistsError, KeyNotFoundError } from '../../../src/kms/keystore/keystore.js'
import type { VaultStandin } from '../../helpers/vault-standin/standin.js'
import { K8S_JWT, K8S_ROLE, signal, startStandin, vaultConfig } from './setup.js'

const enc = (s: string) => new TextEncoder().encode(s)
const dec = (b: Uint8Array) => new TextDecoder().decode(b)
const quiet = () => {}

let standin: VaultStandin
let jwtFile: string
beforeAll(async () => {
  standin = await startStandin()
  jwtFile = join(mkdtempSync(join(tmpdir(), 'keyhold-jwt-')), 'token')
  writeFileSync(jwtFile, K8S_JWT + '\n')
})
afterAll(() => standin.close())

const matrix: Array<[string, Partial<VaultConfig>]> = [
  ['KV v1 + AppRole', { version: 'v1', engine: 'kv' }],
  ['KV v2 + AppRole', { version: 'v2', engine: 'kv2' }],
  ['KV v1 + Kubernetes', { version: 'v1', engine: 'kv', approle: undefined, kubernetes: { engine: 'kubernetes', role: K8S_ROLE, jwt: K8S_JWT } }],
  ['KV v2 + Kubernetes (JWT file)', { version: 'v2', engine: 'kv2', approle: undefined, kubernetes: { engine: 'kubernetes', role: K8S_ROLE, jwt: '<file>' } }],
]

describe.each(matrix)('Vault keystore, %s', (label, over) => {
  let store: VaultKeyStore
  const prefix = label.replace(/\W+/g, '-').toLowerCase()
  beforeAll(async () => {
    const k8s = over.kubernetes?.jwt === '<file>' ? { kubernetes: { ...over.kubernetes, jwt: jwtFile } } : {}
    store = await VaultKeyStore.connect(await vaultConfig(standin, { ...over, ...k8s, prefix }), { log: quiet })
  })
  afterAll(() => store.close())

  it('creates, reads and refuses to overwrite a key', async () => {
    await store.create('k1', enc('value-1'), signal())
    expect(dec(await store.get('k1', signal()))).toBe('value-1')
    await expect(store.create('k1', enc('other'), signal())).rejects.toBeInstanceOf(KeyExistsError)
    expect(dec(await store.get('k1', signal()))).toBe('value-1')
  })

  it('reports missing keys as KeyNotFoundError on get and delete', async () => {
    await expect(store.get('nope', signal())).rejects.toBeInstanceOf(KeyNotFoundError)
    await expect(store.delete('nope', signal())).rejects.toBeInstanceOf(KeyNotFoundError)
  })

  it('deletes a key so the name can be created again', async () => {
    await store.create('k2', enc('a'), signal())
    await store.delete('k2', signal())
    await expect(store.get('k2', signal())).rejects.toBeInstanceOf(KeyNotFoundError)
    await store.create('k2', enc('b'), signal())
    expect(dec(await store.get('k2', signal()))).toBe('b')
  })

  it('stores the key exactly where and how KES does', async () => {
    await store.create('layout', enc('ZW5jb2RlZA=='), signal())
    const mount = standin.mount(over.engine!)!
    if (mount.type !== 'kv') throw new Error('not kv')
    if (mount.version === 1) expect(mount.secrets.get(`${prefix}/layout`)).toEqual({ layout: 'ZW5jb2RlZA==' })
    else {
      const secret = mount.secrets.get(`${prefix}/layout`)!
      expect(secret.current).toBe(1)
      expect(secret.versions.get(1)!.data).toEqual({ layout: 'ZW5jb2RlZA==' })
    }
  })

  it('round-trips bytes that are not text', async () => {
    const bytes = new Uint8Array([0, 255, 128, 10, 13, 0xc3])
    await store.create('binary', bytes, signal())
    expect(await store.get('binary', signal())).toEqual(bytes)
  })

  it('lists names by prefix with client-side paging', async () => {
    for (const n of ['page-a', 'page-b', 'page-c']) await store.create(n, enc(n), signal())
    expect(await store.list('page-', 2, signal())).toEqual({ names: ['page-a', 'page-b'], next: 'page-c' })
    expect(await store.list('page-', 0, signal())).toEqual({ names: ['page-a', 'page-b', 'page-c'], next: '' })
    expect(await store.list('zzz', 0, signal())).toEqual({ names: [], next: '' })
  })
})

describe('Vault keystore, edge cases', () => {
  it('answers an empty prefix (404 with empty errors) with an empty list', async () => {
    const store = await VaultKeyStore.connect(await vaultConfig(standin, { prefix: 'empty-prefix' }), { log: quiet })
    try {
      expect(await store.list('', 0, signal())).toEqual({ names: [], next: '' })
      const listCall = standin.requests.findLast((r) => r.path === '/v1/kv/empty-prefix')!
      expect(listCall.method).toBe('GET')
      expect(listCall.query).toEqual({ list: 'true' })
    } finally {
      await store.close()
    }
  })

  it('falls back to the LIST verb when GET ?list=true is refused with 405', async () => {
    const store = await VaultKeyStore.connect(await vaultConfig(standin, { prefix: 'verb' }), { log: quiet })
    try {
      await store.create('v1', enc('x'), signal())
      standin.failNext(1, 405, 'kv/verb')
      expect(await store.list('', 0, signal())).toEqual({ names: ['v1'], next: '' })
      expect(standin.requests.slice(-2).map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/kv/verb', 'LIST /v1/kv/verb'])
    } finally {
      await store.close()
    }
  })

  it('lists more than 1024 keys and pages through them', async () => {
    const store = await VaultKeyStore.connect(await vaultConfig(standin, { prefix: 'many' }), { log: quiet })
    try {
      const mount = standin.mount('kv')!
      if (mount.type !== 'kv' || mount.version !== 1) throw new Error('kv v1 expected')
      for (let i = 0; i < 1500; i++) mount.secrets.set(`many/k${String(i).padStart(4, '0')}`, { x: 'y' })
      mount.secrets.set('many/sub/deeper', { x: 'y' }) // a folder: not a key
      const first = await store.list('', 1024, signal())
      expect(first.names).toHaveLength(1024)
      expect(first.next).toBe('k1024')
      const rest = await store.list('k1', 1024, signal())
      expect(rest.names).toHaveLength(500)
      expect(rest.names).not.toContain('sub/')
    } finally {
      await store.close()
    }
  })

  it('treats a list of an unknown mount as an error, not an empty list', async () => {
    const store = await VaultKeyStore.connect(await vaultConfig(standin, { engine: 'nomount' }), { log: quiet })
    try {
      await expect(store.list('', 0, signal())).rejects.toThrow(/no handler for route/)
    } finally {
      await store.close()
    }
  })

  it('maps a lost KV v2 creation race (cas mismatch) to KeyExistsError', async () => {
    const store = await VaultKeyStore.connect(await vaultConfig(standin, { engine: 'kv2', version: 'v2', prefix: 'race' }), { log: quiet })
    try {
      // Another Keyhold server creates the key between our probe and our write.
      standin.beforeRoute = (req) => {
        if (req.method !== 'PUT' || req.path !== '/v1/kv2/data/race/r') return
        standin.beforeRoute = undefined
        const mount = standin.mount('kv2')!
        if (mount.type !== 'kv' || mount.version !== 2) throw new Error('kv v2 expected')
        mount.secrets.set('race/r', { current: 1, versions: new Map([[1, { data: { r: 'theirs' }, createdTime: '', deletionTime: '', destroyed: false }]]) })
      }
      await expect(store.create('r', enc('ours'), signal())).rejects.toBeInstanceOf(KeyExistsError)
      const write = standin.requests.findLast((r) => r.method === 'PUT' && r.path === '/v1/kv2/data/race/r')!
      expect(JSON.parse(write.body).options).toEqual({ cas: 0 })
      const probe = standin.requests.findLast((r) => r.method === 'GET' && r.path === '/v1/kv2/data/race/r')!
      expect(probe.query.version).toBeUndefined() // the create probe reads the latest version
      expect(dec(await store.get('r', signal()))).toBe('theirs')
      expect(standin.requests.at(-1)!.query).toEqual({ version: '1' })
    } finally {
      await store.close()
    }
  })

  it('treats its own retried KV v2 write (answer lost, then cas mismatch) as a success', async () => {
    const store = await VaultKeyStore.connect(await vaultConfig(standin, { engine: 'kv2', version: 'v2', prefix: 'lost-answer', pingMs: 60_000 }), { log: quiet })
    try {
      standin.beforeRoute = (req) => {
        if (req.method !== 'PUT' || req.path !== '/v1/kv2/data/lost-answer/la') return
        standin.beforeRoute = undefined
        standin.faults.dropAnswerNext = 1 // this write is applied, its answer never arrives
      }
      await store.create('la', enc('mine'), signal())
      const puts = standin.requests.filter((r) => r.method === 'PUT' && r.path === '/v1/kv2/data/lost-answer/la')
      expect(puts).toHaveLength(2) // the client retried after the dropped answer
      expect(dec(await store.get('la', signal()))).toBe('mine')
      await expect(store.create('la', enc('other'), signal())).rejects.toBeInstanceOf(KeyExistsError)
    } finally {
      await store.close()
    }
  })

  it('reads keys written by KES (v1 field named after the key) and deletes v2 keys by metadata', async () => {
    const v1 = standin.mount('kv')!
    if (v1.type !== 'kv' || v1.version !== 1) throw new Error('kv v1 expected')
    v1.secrets.set('kes/legacy', { legacy: '{"bytes":"AAAA","algorithm":"AES256"}' })
    const store = await VaultKeyStore.connect(await vaultConfig(standin, { prefix: 'kes' }), { log: quiet })
    const store2 = await VaultKeyStore.connect(await vaultConfig(standin, { engine: 'kv2', version: 'v2', prefix: 'kes' }), { log: quiet })
    try {
      expect(dec(await store.get('legacy', signal()))).toBe('{"bytes":"AAAA","algorithm":"AES256"}')
      await store2.create('gone', enc('x'), signal())
      await store2.delete('gone', signal())
      expect(standin.requests.at(-1)).toMatchObject({ method: 'DELETE', path: '/v1/kv2/metadata/kes/gone' })
    } finally {
      await store.close()
      await store2.close()
    }
  })

  it('reports a soft-deleted v2 secret and a v1 client on a v2 mount as errors, not as missing', async () => {
    const v2store = await VaultKeyStore.connect(await vaultConfig(standin, { engine: 'kv2', version: 'v2', prefix: 'soft' }), { log: quiet })
    const mismatch = await VaultKeyStore.connect(await vaultConfig(standin, { engine: 'kv2', version: 'v1', prefix: 'soft' }), { log: quiet })
    try {
      await v2store.create('sd', enc('x'), signal())
      const mount = standin.mount('kv2')!
      if (mount.type !== 'kv' || mount.version !== 2) throw new Error('kv v2 expected')
      mount.secrets.get('soft/sd')!.versions.get(1)!.deletionTime = new Date().toISOString()
      await expect(v2store.get('sd', signal())).rejects.toThrow('entry exists but no secret key is present')
      await expect(mismatch.get('sd', signal())).rejects.toThrow('invalid K/V v1 format')
      await expect(mismatch.get('sd', signal())).rejects.not.toBeInstanceOf(KeyNotFoundError)
      await v2store.delete('sd', signal()) // the soft-deleted secret's metadata goes too
      expect(mount.secrets.has('soft/sd')).toBe(false)
    } finally {
      await v2store.close()
      await mismatch.close()
    }
  })

  it('wraps stored values with transit (vault:v1:) and unwraps them on get', async () => {
    const cfg = await vaultConfig(standin, { prefix: 'wrapped', transit: { engine: 'transit', key: 'keyhold' } })
    const store = await VaultKeyStore.connect(cfg, { log: quiet })
    const plain = await VaultKeyStore.connect({ ...cfg, transit: undefined }, { log: quiet })
    try {
      await store.create('t1', enc('secret-key-bytes'), signal())
      const mount = standin.mount('kv')!
      if (mount.type !== 'kv' || mount.version !== 1) throw new Error('kv v1 expected')
      const stored = mount.secrets.get('wrapped/t1')!.t1 as string
      expect(stored).toMatch(/^vault:v1:/)
      expect(stored).not.toContain('secret-key-bytes')
      expect(dec(await store.get('t1', signal()))).toBe('secret-key-bytes')
      await expect(plain.get('t1', signal())).rejects.toThrow('key is encrypted with vault transit key')
      standin.rotateTransitKey('transit', 'keyhold')
      await expect(store.create('t2', enc('x'), signal())).rejects.toThrow(/invalid vault response/)
    } finally {
      await store.close()
      await plain.close()
    }
  })

  it("cuts Vault's error texts: a 4 MiB `errors` on a read, a listing or a login stays a short message", async () => {
    const huge = `boom ${'E'.repeat(4 << 20)}`
    const bounded = (err: unknown) => {
      const e = err as Error
      // The message, and anything else a logger serialises (VaultHttpError keeps `errors`).
      expect(e.message.length).toBeLessThan(1_000)
      expect(e.message).toMatch(/boom E+… \(\d+ more characters cut\)/)
      expect(JSON.stringify({ ...e, message: e.message }).length).toBeLessThan(2_000)
      return true
    }
    const store = await VaultKeyStore.connect(await vaultConfig(standin, { prefix: 'cut', pingMs: 60_000 }), { log: quiet })
    try {
      standin.failNext(1, 404, 'kv/cut/huge', undefined, huge)
      await expect(store.get('huge', signal()).catch(bounded)).resolves.toBe(true)
      standin.failNext(1, 404, 'kv/cut', undefined, huge)
      await expect(store.list('', 0, signal()).catch(bounded)).resolves.toBe(true)
    } finally {
      await store.close()
    }
    standin.failNext(1, 400, 'auth/approle/login', undefined, huge)
    await expect(VaultKeyStore.connect(await vaultConfig(standin), { log: quiet }).catch(bounded)).resolves.toBe(true)
  })

  it('reuses connections across requests', async () => {
    const store = await VaultKeyStore.connect(await vaultConfig(standin, { prefix: 'reuse', pingMs: 60_000 }), { log: quiet })
    try {
      const before = standin.connections
      for (let i = 0; i < 20; i++) await expect(store.get(`r${i}`, signal())).rejects.toBeInstanceOf(KeyNotFoundError)
      expect(standin.connections - before).toBeLessThanOrEqual(1)
    } finally {
      await store.close()
    }
  })
})
