/**
 * Key rotation over real mutual TLS (docs/key-rotation.md): `PUT /v1/key/rotate/<name>` makes a
 * new version current, encrypt and generate use it, decrypt opens ciphertexts of every version,
 * the store keeps the current version at the key's name (as KES reads it) and older versions
 * beside it, hidden from listings and unreachable by name; the route is authorised like every
 * other path.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { FileKeyStore } from '../../../backends/fs.js'
import { MemoryKeyStore } from '../../../backends/memory.js'
import { decrypt } from '../../../src/kms/crypto/ciphertext.js'
import { decodeKeyVersion, encodeKeyVersion, generateKeyVersion } from '../../../src/kms/crypto/key.js'
import { startTestServer, type TestServer } from '../../helpers/server.js'
import { testPki, type TestPki } from '../../helpers/pki.js'

const DENIED = { message: 'not authorized: insufficient permissions' }
const signal = () => AbortSignal.timeout(5_000)
let s: TestServer
let pki: TestPki
let store: MemoryKeyStore
const admin = () => pki.clients.admin

async function encrypt(srv: TestServer, name: string, plaintext: string): Promise<string> {
  const r = await srv.call(admin(), 'POST', `/v1/key/encrypt/${name}`, { plaintext: Buffer.from(plaintext).toString('base64') })
  expect(r.status).toBe(200)
  return (r.json as { ciphertext: string }).ciphertext
}

async function decryptVia(srv: TestServer, name: string, ciphertext: string): Promise<{ status: number; plaintext?: string }> {
  const r = await srv.call(admin(), 'POST', `/v1/key/decrypt/${name}`, { ciphertext })
  const p = (r.json as { plaintext?: string }).plaintext
  return { status: r.status, ...(p !== undefined ? { plaintext: Buffer.from(p, 'base64').toString() } : {}) }
}

const stored = async (name: string) => decodeKeyVersion(await store.get(name, signal()))
const storedNames = async () => (await store.list('', 0, signal())).names

beforeAll(async () => {
  pki = await testPki()
  store = new MemoryKeyStore()
  s = await startTestServer({
    keystore: { kind: 'instance', store },
    policies: {
      app: {
        allow: ['/v1/key/rotate/app-*', '/v1/key/encrypt/*', '/v1/key/decrypt/*', '/v1/key/generate/*'],
        deny: ['/v1/key/rotate/app-locked'],
        identities: [pki.clients.app.identity],
      },
    },
  })
})

describe('rotation', () => {
  it('makes each new version current and decrypts ciphertexts of every version', async () => {
    expect((await s.call(admin(), 'POST', '/v1/key/create/r1')).status).toBe(200)
    const c1 = await encrypt(s, 'r1', 'one')
    const rot = await s.call(admin(), 'PUT', '/v1/key/rotate/r1')
    expect(rot.status).toBe(200)
    expect(rot.json).toMatchObject({ name: 'r1', version: 2 })
    const c2 = await encrypt(s, 'r1', 'two')
    expect((await s.call(admin(), 'POST', '/v1/key/rotate/r1')).json).toMatchObject({ version: 3 })
    const c3 = await encrypt(s, 'r1', 'three')
    const gen = await s.call(admin(), 'POST', '/v1/key/generate/r1', {})
    const dek = gen.json as { plaintext: string; ciphertext: string }

    for (const [c, p] of [[c1, 'one'], [c2, 'two'], [c3, 'three']] as const) expect(await decryptVia(s, 'r1', c)).toEqual({ status: 200, plaintext: p })
    const opened = await s.call(admin(), 'POST', '/v1/key/decrypt/r1', { ciphertext: dek.ciphertext })
    expect((opened.json as { plaintext: string }).plaintext).toBe(dek.plaintext)
    const bulk = await s.call(admin(), 'POST', '/v1/key/bulk/decrypt/r1', [{ ciphertext: c1 }, { ciphertext: c3 }, { ciphertext: c2 }])
    expect(bulk.status).toBe(200)
    expect((bulk.json as { plaintext: string }[]).map((x) => Buffer.from(x.plaintext, 'base64').toString())).toEqual(['one', 'three', 'two'])

    // The store: the current version at the name, as KES reads it; every version beside it.
    expect((await storedNames()).filter((n) => n.startsWith('r1'))).toEqual(['r1', 'r1-v1-', 'r1-v2-', 'r1-v3-'])
    const current = await stored('r1')
    expect(Buffer.from(current.key)).toEqual(Buffer.from((await stored('r1-v3-')).key))
    expect(Buffer.from(decrypt(current, Buffer.from(c3, 'base64'))).toString()).toBe('three')
    expect(() => decrypt(current, Buffer.from(c1, 'base64'))).toThrow('not authentic')
    expect(Buffer.from(decrypt(await stored('r1-v1-'), Buffer.from(c1, 'base64'))).toString()).toBe('one')
  })

  it('still refuses a forged or foreign ciphertext with the KES error', async () => {
    await s.call(admin(), 'POST', '/v1/key/create/r-other')
    const foreign = await encrypt(s, 'r-other', 'x')
    await s.call(admin(), 'POST', '/v1/key/create/r-forge')
    await s.call(admin(), 'PUT', '/v1/key/rotate/r-forge')
    const r = await s.call(admin(), 'POST', '/v1/key/decrypt/r-forge', { ciphertext: foreign })
    expect([r.status, r.json]).toEqual([400, { message: 'decryption failed: ciphertext is not authentic' }])
  })

  it('hides versions from listings and never lets a client name one', async () => {
    await s.call(admin(), 'POST', '/v1/key/create/r-list')
    await s.call(admin(), 'PUT', '/v1/key/rotate/r-list')
    const list = await s.call(admin(), 'GET', '/v1/key/list/r-list*')
    expect(list.json).toEqual({ names: ['r-list'] })
    for (const [method, path] of [['GET', '/v1/key/describe/'], ['POST', '/v1/key/decrypt/'], ['DELETE', '/v1/key/delete/'], ['PUT', '/v1/key/rotate/'], ['POST', '/v1/key/create/']]) {
      const r = await s.call(admin(), method!, `${path}r-list-v1-`, method === 'POST' ? {} : undefined)
      expect([path, r.status, r.json]).toEqual([path, 400, { message: "key name 'r-list-v1-' is empty, too long or contains invalid characters" }])
    }
  })

  it('describe lists the versions of a rotated key only', async () => {
    await s.call(admin(), 'POST', '/v1/key/create/r-desc')
    const plain = await s.call(admin(), 'GET', '/v1/key/describe/r-desc')
    expect(Object.keys(plain.json as object)).toEqual(['name', 'algorithm', 'created_at', 'created_by'])
    await s.call(admin(), 'PUT', '/v1/key/rotate/r-desc')
    const d = (await s.call(admin(), 'GET', '/v1/key/describe/r-desc')).json as { version: number; versions: { version: number; created_at: string }[]; created_at: string }
    expect(d.version).toBe(2)
    expect(d.versions.map((v) => v.version)).toEqual([2, 1])
    expect(d.created_at).toBe(d.versions[0]!.created_at)
    expect(Date.parse(d.versions[0]!.created_at)).toBeGreaterThanOrEqual(Date.parse(d.versions[1]!.created_at))
  })

  it('delete removes every version: a re-created key opens none of the old ciphertexts', async () => {
    await s.call(admin(), 'POST', '/v1/key/create/r-del')
    const old = await encrypt(s, 'r-del', 'gone')
    await s.call(admin(), 'PUT', '/v1/key/rotate/r-del')
    expect((await s.call(admin(), 'DELETE', '/v1/key/delete/r-del')).status).toBe(200)
    expect((await storedNames()).filter((n) => n.startsWith('r-del'))).toEqual([])
    await s.call(admin(), 'POST', '/v1/key/create/r-del')
    expect((await decryptVia(s, 'r-del', old)).status).toBe(400)
  })

  it('a delete racing a rotation stays a delete: the rotation never brings the key back', async () => {
    // Found by fuzzing: the rotation's re-creation of the name undid a delete made in its middle. On the
    // filesystem keystore, whose every step awaits the disk, as deployed.
    const dir = mkdtempSync(join(tmpdir(), 'keyhold-rotate-race-'))
    const fs = await FileKeyStore.open(dir)
    const srv = await startTestServer({ keystore: { kind: 'instance', store: fs } })
    try {
      for (let round = 0; round < 20; round++) {
        const name = `r-race-${round}`
        expect((await srv.call(admin(), 'POST', `/v1/key/create/${name}`)).status).toBe(200)
        const [rotated, deleted] = await Promise.all([
          srv.call(admin(), 'PUT', `/v1/key/rotate/${name}`), srv.call(admin(), 'DELETE', `/v1/key/delete/${name}`),
        ])
        expect([rotated.status === 200 || rotated.status === 404, deleted.status]).toEqual([true, 200])
        expect((await srv.call(admin(), 'GET', `/v1/key/describe/${name}`)).status, name).toBe(404)
        expect((await fs.list(name, 0, signal())).names).toEqual([])
      }
    } finally {
      await srv.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('answers 404 for a missing key and keeps KES texts', async () => {
    const r = await s.call(admin(), 'PUT', '/v1/key/rotate/nope')
    expect([r.status, r.json]).toEqual([404, { message: 'key does not exist' }])
    const m = await s.call(admin(), 'GET', '/v1/key/rotate/nope')
    expect([m.status, m.json]).toEqual([405, { message: "received method 'GET' expected 'PUT'" }])
  })
})

describe('authorisation of /v1/key/rotate/', () => {
  it('follows the policy: allow, deny over allow, and no rotation without the path', async () => {
    for (const n of ['app-a', 'app-locked', 'other']) await s.call(admin(), 'POST', `/v1/key/create/${n}`)
    expect((await s.call(pki.clients.app, 'PUT', '/v1/key/rotate/app-a')).status).toBe(200)
    const locked = await s.call(pki.clients.app, 'PUT', '/v1/key/rotate/app-locked')
    expect([locked.status, locked.json]).toEqual([403, DENIED])
    const other = await s.call(pki.clients.app, 'PUT', '/v1/key/rotate/other')
    expect([other.status, other.json]).toEqual([403, DENIED])
    const stranger = await s.call(pki.clients.stranger, 'PUT', '/v1/key/rotate/app-a')
    expect([stranger.status, stranger.json]).toEqual([403, DENIED])
    // Without a certificate the handshake itself fails (test/kms/api/auth.test.ts): never a rotation.
    const anonymous = await s.call(null, 'PUT', '/v1/key/rotate/app-a').then((r) => r.status, () => 'refused')
    expect(anonymous).not.toBe(200)
    // Nothing rotated by the refused calls.
    expect((await storedNames()).filter((n) => /^(app-locked|other)-/.test(n))).toEqual([])
    expect((await storedNames()).filter((n) => n.startsWith('app-a-'))).toEqual(['app-a-v1-', 'app-a-v2-'])
  })

  it('records the creator of a version: the identity that rotated', async () => {
    await s.call(admin(), 'POST', '/v1/key/create/app-who')
    await s.call(pki.clients.app, 'PUT', '/v1/key/rotate/app-who')
    expect((await stored('app-who')).createdBy).toBe(pki.clients.app.identity)
    expect((await stored('app-who-v1-')).createdBy).toBe(pki.clients.admin.identity)
  })
})

describe('races and foreign changes', () => {
  it('two servers on one store rotating at once never lose a version', async () => {
    const t = await startTestServer({ keystore: { kind: 'instance', store } })
    await s.call(admin(), 'POST', '/v1/key/create/r-race')
    const c1 = await encrypt(s, 'r-race', 'before')
    const results = await Promise.all([s, t, s, t].map((srv) => srv.call(admin(), 'PUT', '/v1/key/rotate/r-race')))
    const ok = results.filter((r) => r.status === 200)
    expect(ok.length).toBeGreaterThanOrEqual(1)
    for (const r of results) if (r.status !== 200) expect([r.status, r.json]).toEqual([409, { message: 'key is being rotated concurrently' }])
    const versions = (await storedNames()).filter((n) => n.startsWith('r-race-'))
    expect(versions.length).toBe(1 + ok.length)
    // Every version the winners made, and the original, decrypt on both servers.
    const c2 = await encrypt(s, 'r-race', 'after')
    for (const srv of [s, t]) {
      expect(await decryptVia(srv, 'r-race', c1)).toEqual({ status: 200, plaintext: 'before' })
      expect(await decryptVia(srv, 'r-race', c2)).toEqual({ status: 200, plaintext: 'after' })
    }
    const current = await stored('r-race')
    expect(Buffer.from(current.key)).toEqual(Buffer.from((await stored(`r-race-v${versions.length}-`)).key))
  })

  it('a reader between the delete and create of a rotation gets the pending version, not a 404', async () => {
    await s.call(admin(), 'POST', '/v1/key/create/r-mid')
    await s.call(admin(), 'PUT', '/v1/key/rotate/r-mid')
    const bytes = await store.get('r-mid', signal())
    // What a crash (or a slow store) between replaceCurrent's steps leaves: the name gone, the pending entry there.
    await store.create('r-mid-next-', bytes, signal())
    await store.delete('r-mid', signal())
    const t = await startTestServer({ keystore: { kind: 'instance', store } })
    expect((await t.call(admin(), 'GET', '/v1/key/describe/r-mid')).status).toBe(200)
    const c = await encrypt(t, 'r-mid', 'mid')
    // The next rotation completes the interrupted one and goes on.
    expect((await t.call(admin(), 'PUT', '/v1/key/rotate/r-mid')).json).toMatchObject({ version: 3 })
    expect(await decryptVia(t, 'r-mid', c)).toEqual({ status: 200, plaintext: 'mid' })
    expect((await storedNames()).filter((n) => n.startsWith('r-mid'))).toEqual(['r-mid', 'r-mid-v1-', 'r-mid-v2-', 'r-mid-v3-'])
  })

  it('versions left by a key deleted elsewhere (a KES server) are never used for a re-created key, and its rotation removes them', async () => {
    await s.call(admin(), 'POST', '/v1/key/create/r-kes')
    const old = await encrypt(s, 'r-kes', 'old')
    await s.call(admin(), 'PUT', '/v1/key/rotate/r-kes')
    // KES deletes the name only, then creates a fresh key there.
    await store.delete('r-kes', signal())
    const fresh = encodeKeyVersion(generateKeyVersion('kes', 'AES256'))
    await store.create('r-kes', fresh, signal())
    const t = await startTestServer({ keystore: { kind: 'instance', store } })
    expect((await decryptVia(t, 'r-kes', old)).status).toBe(400)
    expect(Object.keys((await t.call(admin(), 'GET', '/v1/key/describe/r-kes')).json as object)).not.toContain('versions')
    const c = await encrypt(t, 'r-kes', 'fresh')
    // The rotation clears the old key's versions and starts the new key's own: its original is version 1.
    expect((await t.call(admin(), 'PUT', '/v1/key/rotate/r-kes')).json).toMatchObject({ version: 2 })
    expect((await storedNames()).filter((n) => n.startsWith('r-kes'))).toEqual(['r-kes', 'r-kes-v1-', 'r-kes-v2-'])
    expect(Buffer.from(await store.get('r-kes-v1-', signal()))).toEqual(Buffer.from(fresh))
    expect(await decryptVia(t, 'r-kes', c)).toEqual({ status: 200, plaintext: 'fresh' })
    expect((await decryptVia(t, 'r-kes', old)).status).toBe(400)
  })

  it('a key created through Keyhold where versions without a key were left removes them first', async () => {
    await s.call(admin(), 'POST', '/v1/key/create/r-left')
    const old = await encrypt(s, 'r-left', 'old')
    await s.call(admin(), 'PUT', '/v1/key/rotate/r-left')
    // What a KES server's deletion (or a deletion cut short) leaves: versions, no key.
    await store.delete('r-left', signal())
    expect((await s.call(admin(), 'POST', '/v1/key/create/r-left')).status).toBe(200)
    expect((await storedNames()).filter((n) => n.startsWith('r-left'))).toEqual(['r-left'])
    expect((await decryptVia(s, 'r-left', old)).status).toBe(400)
    expect((await s.call(admin(), 'PUT', '/v1/key/rotate/r-left')).json).toMatchObject({ version: 2 })
  })
})
