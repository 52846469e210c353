/**
 * Rotation and key states together: a state binds to the key's birth, which rotations keep, so a
 * disabled key stays disabled through any number of rotations and its state is not dropped as an
 * orphan by the purge; a key scheduled for deletion cannot be rotated (it does not exist to
 * clients); and a state of a deleted key still never applies to a new key of that name.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { MemoryKeyStore } from '../../../backends/memory.js'
import { startTestServer, type TestServer } from '../../helpers/server.js'
import { testPki, type TestCert } from '../../helpers/pki.js'

const DISABLED = { message: 'key is disabled' }
const MISSING = { message: 'key does not exist' }
const b64 = (s: string) => Buffer.from(s).toString('base64')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
let admin: TestCert
let s: TestServer
let store: MemoryKeyStore

beforeAll(async () => {
  admin = (await testPki()).clients.admin
  store = new MemoryKeyStore()
  s = await startTestServer(
    { keystore: { kind: 'instance', store }, keyDeletion: { waitMs: 60_000 } },
    // A purge every 50 ms: an orphan-looking state would be dropped at once.
    { keyPurgeIntervalMs: 50 },
  )
})

const rotate = (name: string) => s.call(admin, 'PUT', `/v1/key/rotate/${name}`)
const generate = (name: string) => s.call(admin, 'PUT', `/v1/key/generate/${name}`, {})

describe('rotation and key states', () => {
  it('keeps a disabled key disabled through rotations, and the purge keeps its state', async () => {
    await s.call(admin, 'POST', '/v1/key/create/rs1')
    expect((await rotate('rs1')).status).toBe(200) // rotated before the state too
    const ct = (await s.call(admin, 'PUT', '/v1/key/encrypt/rs1', { plaintext: b64('hello') })).json as { ciphertext: string }
    expect((await s.call(admin, 'PUT', '/v1/key/disable/rs1', { decrypt: false })).status).toBe(200)
    for (let i = 0; i < 2; i++) {
      await sleep(5) // every version gets its own creation time
      expect((await rotate('rs1')).status).toBe(200)
    }
    await sleep(300) // several purge runs
    const g = await generate('rs1')
    expect([g.status, g.json]).toEqual([409, DISABLED])
    const d = await s.call(admin, 'PUT', '/v1/key/decrypt/rs1', ct)
    expect([d.status, d.json]).toEqual([409, DISABLED])
    expect((await s.call(admin, 'GET', '/v1/key/state/rs1')).json).toMatchObject({ state: 'disabled', decrypt: false })

    expect((await s.call(admin, 'PUT', '/v1/key/enable/rs1')).status).toBe(200)
    expect((await generate('rs1')).status).toBe(200)
    expect((await s.call(admin, 'PUT', '/v1/key/decrypt/rs1', ct)).status).toBe(200)
  })

  it('refuses to rotate a key scheduled for deletion (404), and restore brings it back rotatable', async () => {
    await s.call(admin, 'POST', '/v1/key/create/rs2')
    expect((await rotate('rs2')).status).toBe(200)
    expect((await s.call(admin, 'DELETE', '/v1/key/delete/rs2')).status).toBe(200)
    const r = await rotate('rs2')
    expect([r.status, r.json]).toEqual([404, MISSING])
    await sleep(200)
    expect((await s.call(admin, 'PUT', '/v1/key/restore/rs2')).status).toBe(200)
    expect((await rotate('rs2')).status).toBe(200)
    expect((await generate('rs2')).status).toBe(200)
  })

  it('never applies the state of a deleted, rotated key to a new key of that name', async () => {
    await s.call(admin, 'POST', '/v1/key/create/rs3')
    expect((await rotate('rs3')).status).toBe(200)
    expect((await s.call(admin, 'PUT', '/v1/key/disable/rs3')).status).toBe(200)
    // Left behind as by a KES server deleting the key on the same keystore: the state and the versions stay.
    await store.delete('rs3', AbortSignal.timeout(1000))
    await sleep(5)
    expect((await s.call(admin, 'POST', '/v1/key/create/rs3')).status).toBe(200)
    expect((await generate('rs3')).status).toBe(200)
    expect((await s.call(admin, 'GET', '/v1/key/state/rs3')).json).toMatchObject({ state: 'enabled' })
  })
})
