/**
 * Key states over real mutual TLS: disabled keys, scheduled deletion and restore, the purge (also
 * across a restart on the same fs keystore), what KES clients see, and the side entries that
 * hold the states in the keystore.
 */
import { existsSync, mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { MemoryKeyStore } from '../../../backends/memory.js'
import { startTestServer, type TestServer } from '../../helpers/server.js'
import type { TestCert } from '../../helpers/pki.js'
import { STATE_SLOTS, stateEntryName } from '../../../src/kms/keystore/key-state.js'

const DISABLED = { message: 'key is disabled' }
const MISSING = { message: 'key does not exist' }
let admin: TestCert
let app: TestCert

beforeAll(async () => {
  const { testPki } = await import('../../helpers/pki.js')
  ;({ admin, app } = (await testPki()).clients)
})

const b64 = (s: string) => Buffer.from(s).toString('base64')

async function sealed(s: TestServer, name: string): Promise<string> {
  const r = await s.call(admin, 'POST', `/v1/key/encrypt/${name}`, { plaintext: b64('hello') })
  expect(r.status).toBe(200)
  return (r.json as { ciphertext: string }).ciphertext
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

describe('disabled keys', () => {
  let s: TestServer
  let store: MemoryKeyStore
  beforeAll(async () => {
    store = new MemoryKeyStore()
    s = await startTestServer({
      keystore: { kind: 'instance', store },
      policies: { app: { allow: ['/v1/key/generate/*', '/v1/key/decrypt/*', '/v1/key/encrypt/*', '/v1/key/hmac/*'], identities: [app.identity] } },
    })
  })

  it('refuses generate, encrypt and HMAC with 409, keeps decrypt by default, and enable undoes it', async () => {
    await s.call(admin, 'POST', '/v1/key/create/d1')
    const ct = await sealed(s, 'd1')
    expect((await s.call(admin, 'PUT', '/v1/key/disable/d1')).status).toBe(200)
    for (const [path, body] of [['generate', {}], ['encrypt', { plaintext: b64('x') }], ['hmac', { message: b64('x') }]] as const) {
      const r = await s.call(app, 'PUT', `/v1/key/${path}/d1`, body)
      expect([path, r.status, r.json]).toEqual([path, 409, DISABLED])
    }
    const dec = await s.call(app, 'PUT', '/v1/key/decrypt/d1', { ciphertext: ct })
    expect([dec.status, dec.json]).toEqual([200, { plaintext: b64('hello') }])
    expect((await s.call(admin, 'PUT', '/v1/key/bulk/decrypt/d1', [{ ciphertext: ct }])).status).toBe(200)
    // Still described and listed: a disabled key exists.
    expect((await s.call(admin, 'GET', '/v1/key/describe/d1')).status).toBe(200)
    expect((await s.call(admin, 'GET', '/v1/key/list/d')).json).toEqual({ names: ['d1'] })
    const state = await s.call(admin, 'GET', '/v1/key/state/d1')
    expect(state.json).toMatchObject({ name: 'd1', state: 'disabled', decrypt: true, changed_by: admin.identity })

    expect((await s.call(admin, 'PUT', '/v1/key/enable/d1')).status).toBe(200)
    expect((await s.call(app, 'PUT', '/v1/key/generate/d1', {})).status).toBe(200)
    expect((await s.call(admin, 'GET', '/v1/key/state/d1')).json).toEqual({ name: 'd1', state: 'enabled', decrypt: true })
  })

  it('refuses decrypt too when disabled with decrypt: false', async () => {
    await s.call(admin, 'POST', '/v1/key/create/d2')
    const ct = await sealed(s, 'd2')
    expect((await s.call(admin, 'PUT', '/v1/key/disable/d2', { decrypt: false })).status).toBe(200)
    for (const [path, body] of [['decrypt', { ciphertext: ct }], ['bulk/decrypt', [{ ciphertext: ct }]]] as const) {
      const r = await s.call(admin, 'PUT', `/v1/key/${path}/d2`, body)
      expect([path, r.status, r.json]).toEqual([path, 409, DISABLED])
    }
    // Re-disabling with decrypt allowed is a change too.
    expect((await s.call(admin, 'PUT', '/v1/key/disable/d2', { decrypt: true })).status).toBe(200)
    expect((await s.call(admin, 'PUT', '/v1/key/decrypt/d2', { ciphertext: ct })).status).toBe(200)
  })

  it('answers bad disable bodies 400 and missing keys 404, and state changes need their own permission', async () => {
    for (const bad of ['nope', { decrypt: 'no' }, { decrypt: true, other: 1 }]) {
      const r = await s.call(admin, 'PUT', '/v1/key/disable/d1', bad)
      expect(r.status).toBe(400)
    }
    for (const path of ['disable', 'enable', 'restore']) {
      expect((await s.call(admin, 'PUT', `/v1/key/${path}/nope`)).json).toEqual(MISSING)
    }
    expect((await s.call(admin, 'GET', '/v1/key/state/nope')).status).toBe(404)
    // `app` may use keys, not change their state.
    for (const path of ['disable', 'enable', 'restore']) expect((await s.call(app, 'PUT', `/v1/key/${path}/d1`)).status).toBe(403)
    expect((await s.call(app, 'GET', '/v1/key/state/d1')).status).toBe(403)
  })

  it('keeps states in side entries no KES name can take, hidden from listings', async () => {
    await s.call(admin, 'POST', '/v1/key/create/d3')
    await s.call(admin, 'PUT', '/v1/key/disable/d3')
    const raw = (await store.list('', 0, AbortSignal.timeout(1000))).names
    expect(raw.some((n) => n.startsWith(STATE_SLOTS[0]) || n.startsWith(STATE_SLOTS[1]))).toBe(true)
    expect(STATE_SLOTS.every((p) => p.length > 80)).toBe(true)
    const listed = (await s.call(admin, 'GET', '/v1/key/list/*')).json as { names: string[] }
    expect(listed.names.every((n) => n.length <= 80)).toBe(true)
    expect((await s.call(admin, 'GET', `/v1/key/list/${'_keyhold'}*`)).json).toEqual({ names: [] })
    // The API cannot reach a side entry by name.
    expect((await s.call(admin, 'GET', `/v1/key/describe/${stateEntryName('d3', 0)}`)).status).toBe(400)
  })

  it('does not apply the state of a deleted key to a new key of that name', async () => {
    await s.call(admin, 'POST', '/v1/key/create/d4')
    await s.call(admin, 'PUT', '/v1/key/disable/d4')
    // A state left behind (as by a crash between removing the key and its state).
    await store.delete('d4', AbortSignal.timeout(1000))
    await sleep(5) // a different creation time
    expect((await s.call(admin, 'DELETE', '/v1/key/delete/d4')).status).toBe(404)
    expect((await s.call(admin, 'POST', '/v1/key/create/d4')).status).toBe(200)
    expect((await s.call(admin, 'PUT', '/v1/key/generate/d4', {})).status).toBe(200)
    expect((await s.call(admin, 'GET', '/v1/key/state/d4')).json).toMatchObject({ state: 'enabled' })
  })
})

describe('scheduled deletion (key_deletion.wait on)', () => {
  let s: TestServer
  let store: MemoryKeyStore
  let purged: string[]
  beforeAll(async () => {
    store = new MemoryKeyStore()
    purged = []
    s = await startTestServer(
      { keystore: { kind: 'instance', store }, keyDeletion: { waitMs: 60_000 } },
      { keyPurgeIntervalMs: 100, onKeyPurged: (name) => purged.push(name) },
    )
  })

  it('DELETE schedules: KES clients see the key deleted, its name stays taken, restore brings it back with its material', async () => {
    await s.call(admin, 'POST', '/v1/key/create/s1')
    const ct = await sealed(s, 's1')
    const del = await s.call(admin, 'DELETE', '/v1/key/delete/s1')
    expect(del.status).toBe(200)
    const at = Date.parse(String(del.headers['keyhold-key-delete-at']))
    expect(at - Date.now()).toBeGreaterThan(55_000)
    for (const [m, path, body] of [
      ['GET', '/v1/key/describe/s1', undefined], ['PUT', '/v1/key/generate/s1', {}], ['PUT', '/v1/key/decrypt/s1', { ciphertext: ct }],
      ['PUT', '/v1/key/hmac/s1', { message: b64('m') }], ['DELETE', '/v1/key/delete/s1', undefined], ['PUT', '/v1/key/disable/s1', undefined],
    ] as const) {
      const r = await s.call(admin, m, path, body)
      expect([path, r.status, r.json]).toEqual([path, 404, MISSING])
    }
    expect((await s.call(admin, 'GET', '/v1/key/list/s')).json).toEqual({ names: [] })
    expect((await s.call(admin, 'POST', '/v1/key/create/s1')).json).toEqual({ message: 'key already exists' })
    expect((await s.call(admin, 'GET', '/v1/key/state/s1')).json).toMatchObject({ state: 'scheduled', decrypt: false, delete_at: expect.any(String) })

    expect((await s.call(admin, 'PUT', '/v1/key/restore/s1')).status).toBe(200)
    expect((await s.call(admin, 'PUT', '/v1/key/decrypt/s1', { ciphertext: ct })).json).toEqual({ plaintext: b64('hello') })
    expect((await s.call(admin, 'GET', '/v1/key/list/s')).json).toEqual({ names: ['s1'] })
    const again = await s.call(admin, 'PUT', '/v1/key/restore/s1')
    expect([again.status, again.json]).toEqual([409, { message: 'key is not scheduled for deletion' }])
    expect(purged).toEqual([])
  })

  it('a disabled key can be scheduled; restore brings it back disabled, as it was', async () => {
    await s.call(admin, 'POST', '/v1/key/create/s2')
    const ct = await sealed(s, 's2')
    await s.call(admin, 'PUT', '/v1/key/disable/s2', { decrypt: false })
    expect((await s.call(admin, 'DELETE', '/v1/key/delete/s2')).status).toBe(200)
    expect((await s.call(admin, 'GET', '/v1/key/state/s2')).json).toMatchObject({ state: 'scheduled' })
    expect((await s.call(admin, 'PUT', '/v1/key/restore/s2')).status).toBe(200)
    expect((await s.call(admin, 'GET', '/v1/key/state/s2')).json).toMatchObject({ state: 'disabled', decrypt: false, changed_by: admin.identity })
    expect((await s.call(admin, 'PUT', '/v1/key/generate/s2', {})).json).toEqual(DISABLED)
    expect((await s.call(admin, 'PUT', '/v1/key/decrypt/s2', { ciphertext: ct })).json).toEqual(DISABLED)
    // Enable, its own permission, is what turns it back on.
    expect((await s.call(admin, 'PUT', '/v1/key/enable/s2')).status).toBe(200)
    expect((await s.call(admin, 'PUT', '/v1/key/decrypt/s2', { ciphertext: ct })).json).toEqual({ plaintext: b64('hello') })
    // Scheduled again from enabled, it comes back enabled; the kept state did not linger.
    expect((await s.call(admin, 'DELETE', '/v1/key/delete/s2')).status).toBe(200)
    expect((await s.call(admin, 'PUT', '/v1/key/restore/s2')).status).toBe(200)
    expect((await s.call(admin, 'GET', '/v1/key/state/s2')).json).toEqual({ name: 's2', state: 'enabled', decrypt: true })
  })

  it('an identity allowed DELETE and restore but not enable cannot turn a disabled key back on with them', async () => {
    const t = await startTestServer({
      keystore: { kind: 'instance', store: new MemoryKeyStore() },
      keyDeletion: { waitMs: 60_000 },
      policies: { ops: { allow: ['/v1/key/delete/*', '/v1/key/restore/*', '/v1/key/generate/*'], identities: [app.identity] } },
    })
    try {
      await t.call(admin, 'POST', '/v1/key/create/locked')
      await t.call(admin, 'PUT', '/v1/key/disable/locked')
      expect((await t.call(app, 'PUT', '/v1/key/enable/locked')).status).toBe(403)
      expect((await t.call(app, 'DELETE', '/v1/key/delete/locked')).status).toBe(200)
      expect((await t.call(app, 'PUT', '/v1/key/restore/locked')).status).toBe(200)
      expect((await t.call(app, 'PUT', '/v1/key/generate/locked', {})).json).toEqual(DISABLED)
    } finally {
      await t.close()
    }
  })
})

describe('the purge', () => {
  it('deletes a key once its wait is over, removes its state, frees its name, and restore then answers 404', async () => {
    const store = new MemoryKeyStore()
    const purged: string[] = []
    const s = await startTestServer({ keystore: { kind: 'instance', store }, keyDeletion: { waitMs: 400 } }, { keyPurgeIntervalMs: 100, onKeyPurged: (n) => purged.push(n) })
    await s.call(admin, 'POST', '/v1/key/create/p1')
    await s.call(admin, 'POST', '/v1/key/create/p2')
    expect((await s.call(admin, 'DELETE', '/v1/key/delete/p1')).status).toBe(200)
    await until('the purge', () => purged.includes('p1'))
    expect((await store.list('', 0, AbortSignal.timeout(1000))).names).toEqual(['p2'])
    expect((await s.call(admin, 'PUT', '/v1/key/restore/p1')).status).toBe(404)
    expect((await s.call(admin, 'POST', '/v1/key/create/p1')).status).toBe(200)
    await sleep(300)
    expect(purged).toEqual(['p1']) // once, and never the new key
    expect((await s.call(admin, 'PUT', '/v1/key/generate/p1', {})).status).toBe(200)
  })

  it('survives a restart: the schedule is in the keystore, restore works after it, and a due purge runs at start-up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyhold-states-'))
    const keystore = { kind: 'fs' as const, path: dir }
    const quiet = { keyPurgeIntervalMs: 3_600_000 }
    const a = await startTestServer({ keystore, keyDeletion: { waitMs: 60_000 } }, quiet)
    await a.call(admin, 'POST', '/v1/key/create/r1')
    await a.call(admin, 'POST', '/v1/key/create/r2')
    const ct = await sealed(a, 'r1')
    expect((await a.call(admin, 'DELETE', '/v1/key/delete/r1')).status).toBe(200)
    await a.close()

    const b = await startTestServer({ keystore, keyDeletion: { waitMs: 60_000 } }, quiet)
    expect((await b.call(admin, 'GET', '/v1/key/describe/r1')).status).toBe(404)
    expect((await b.call(admin, 'GET', '/v1/key/state/r1')).json).toMatchObject({ state: 'scheduled' })
    expect((await b.call(admin, 'PUT', '/v1/key/restore/r1')).status).toBe(200)
    expect((await b.call(admin, 'PUT', '/v1/key/decrypt/r1', { ciphertext: ct })).status).toBe(200)
    // Scheduled with a short wait, then no server runs while it passes.
    await b.close()
    const c = await startTestServer({ keystore, keyDeletion: { waitMs: 300 } }, quiet)
    expect((await c.call(admin, 'DELETE', '/v1/key/delete/r1')).status).toBe(200)
    await c.close()
    await sleep(400)
    expect(existsSync(join(dir, 'r1'))).toBe(true)
    const d = await startTestServer({ keystore }, quiet) // wait off now: scheduled keys are still purged
    // The key first, then its state and the purge claim: wait for all of it.
    const files = () => readdirSync(dir).filter((f) => !f.startsWith('.')).sort()
    await until('the start-up purge', () => files().length === 1)
    expect(files()).toEqual(['r2'])
    expect((await d.call(admin, 'GET', '/v1/key/list/*')).json).toEqual({ names: ['r2'] })
  })

  it('wait off: DELETE deletes at once (KES) and takes the state with it', async () => {
    const store = new MemoryKeyStore()
    const s = await startTestServer({ keystore: { kind: 'instance', store } })
    await s.call(admin, 'POST', '/v1/key/create/w1')
    await s.call(admin, 'PUT', '/v1/key/disable/w1')
    const del = await s.call(admin, 'DELETE', '/v1/key/delete/w1')
    expect(del.status).toBe(200)
    expect(del.headers['keyhold-key-delete-at']).toBeUndefined()
    expect((await store.list('', 0, AbortSignal.timeout(1000))).names).toEqual([])
  })
})
