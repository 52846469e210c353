/**
 * A deletion and a rotation of one key on two servers sharing a keystore with a conditional
 * replace (docs/key-rotation.md, "A deletion racing a rotation"), each interleaving forced at the
 * step where it used to go wrong: the servers' turns do not span servers, so only the keystore's
 * replace, the rotation's undo and the deletion's sweep keep the deleted key from surviving.
 * Real servers over mutual TLS on one in-memory keystore (which replaces conditionally, as etcd).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryKeyStore } from '../../../backends/memory.js'
import { encodeKeyVersion, generateKeyVersion } from '../../../src/kms/crypto/key.js'
import { startTestServer, type TestServer } from '../../helpers/server.js'
import { Steps } from './steps.js'

const signal = () => AbortSignal.timeout(5_000)

/** A memory keystore that runs `before[name]` (once) before the next call of `op` on `name`. */
class SteppedStore extends MemoryKeyStore {
  readonly steps = new Steps()
  readonly before = this.steps.before

  override async get(name: string, s: AbortSignal): Promise<Uint8Array> {
    await this.steps.run('get', name)
    return super.get(name, s)
  }

  override async create(name: string, value: Uint8Array, s: AbortSignal): Promise<void> {
    await this.steps.run('create', name)
    return super.create(name, value, s)
  }

  override async delete(name: string, s: AbortSignal): Promise<void> {
    await this.steps.run('delete', name)
    return super.delete(name, s)
  }

  override async replace(name: string, expected: Uint8Array, value: Uint8Array, s: AbortSignal): Promise<boolean> {
    await this.steps.run('replace', name)
    return super.replace(name, expected, value, s)
  }
}

let store: SteppedStore
let a: TestServer
let b: TestServer
beforeAll(async () => {
  store = new SteppedStore()
  ;[a, b] = await Promise.all([startTestServer({ keystore: { kind: 'instance', store } }), startTestServer({ keystore: { kind: 'instance', store } })])
})
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()])
})

const call = (s: TestServer, method: string, path: string, body?: object) => s.call(s.pki.clients.admin, method, path, body)
const storedOf = async (name: string) => (await store.list(name, 0, signal())).names

describe('a deletion on one server, a rotation of the same key on another', () => {
  it('a rotation that stored its versions before the deletion removed the name: the deletion sweeps them', async () => {
    expect((await call(a, 'POST', '/v1/key/create/swept')).status).toBe(200)
    const sealed = (await call(a, 'POST', '/v1/key/encrypt/swept', { plaintext: 'c2VjcmV0' })).json as { ciphertext: string }
    let rotated = 0
    // A has listed the versions (none) and is about to delete the name: B rotates in full meanwhile.
    store.before.set('delete swept', async () => {
      rotated = (await call(b, 'PUT', '/v1/key/rotate/swept')).status
    })
    expect((await call(a, 'DELETE', '/v1/key/delete/swept')).status).toBe(200)
    expect(rotated).toBe(200)
    expect(await storedOf('swept')).toEqual([])
    for (const s of [a, b]) {
      expect((await call(s, 'GET', '/v1/key/describe/swept')).status).toBe(404)
      expect((await call(s, 'POST', '/v1/key/decrypt/swept', sealed)).status).toBe(404)
    }
  })

  it('a rotation that finds the key deleted before it made its version current answers 404 and removes what it stored', async () => {
    expect((await call(a, 'POST', '/v1/key/create/undone')).status).toBe(200)
    let deleted = 0
    // B has read the key and is about to store the original as version 1: A deletes the key in full meanwhile.
    store.before.set('create undone-v1-', async () => {
      deleted = (await call(a, 'DELETE', '/v1/key/delete/undone')).status
    })
    const rotated = await call(b, 'PUT', '/v1/key/rotate/undone')
    expect(deleted).toBe(200)
    expect([rotated.status, rotated.json]).toEqual([404, { message: 'key does not exist' }])
    expect(await storedOf('undone')).toEqual([])
    expect((await call(b, 'GET', '/v1/key/describe/undone')).status).toBe(404)
  })

  it('a rotation whose key was deleted and created anew meanwhile answers 409 and leaves the new key alone', async () => {
    expect((await call(a, 'POST', '/v1/key/create/renewed')).status).toBe(200)
    store.before.set('create renewed-v1-', async () => {
      expect((await call(a, 'DELETE', '/v1/key/delete/renewed')).status).toBe(200)
      expect((await call(a, 'POST', '/v1/key/create/renewed')).status).toBe(200)
    })
    const rotated = await call(b, 'PUT', '/v1/key/rotate/renewed')
    expect([rotated.status, rotated.json]).toEqual([409, { message: 'key is being rotated concurrently' }])
    // No version of the deleted key is left beside the new one (it would also block the new key's rotations).
    expect(await storedOf('renewed')).toEqual(['renewed'])
    expect((await call(b, 'PUT', '/v1/key/rotate/renewed')).json).toMatchObject({ version: 2 })
    // The new key is whole: it seals and opens on both servers.
    const sealed = (await call(a, 'POST', '/v1/key/encrypt/renewed', { plaintext: 'bmV3' })).json as { ciphertext: string }
    for (const s of [a, b]) expect((await call(s, 'POST', '/v1/key/decrypt/renewed', sealed)).json).toEqual({ plaintext: 'bmV3' })
  })

  it('a rotation overtaken by one on the other server that went on from it answers 409 and keeps every version', async () => {
    expect((await call(a, 'POST', '/v1/key/create/onward')).status).toBe(200)
    expect((await call(a, 'PUT', '/v1/key/rotate/onward')).status).toBe(200)
    const sealed = (await call(a, 'POST', '/v1/key/encrypt/onward', { plaintext: 'djI=' })).json as { ciphertext: string }
    // B stored version 3 and is about to make it current: A rotates meanwhile, finishing B's version 3 and adding 4.
    store.before.set('replace onward', async () => {
      expect((await call(a, 'PUT', '/v1/key/rotate/onward')).json).toMatchObject({ version: 4 })
    })
    const rotated = await call(b, 'PUT', '/v1/key/rotate/onward')
    expect([rotated.status, rotated.json]).toEqual([409, { message: 'key is being rotated concurrently' }])
    expect(await storedOf('onward')).toEqual(['onward', 'onward-v1-', 'onward-v2-', 'onward-v3-', 'onward-v4-'])
    for (const s of [a, b]) expect((await call(s, 'POST', '/v1/key/decrypt/onward', sealed)).json).toEqual({ plaintext: 'djI=' })
  })
})

describe('versions of a deleted key left beside a key created anew (a deletion still in flight elsewhere, or KES)', () => {
  /** Creates and rotates `name` through A, seals under it, then replaces it underneath as KES would. */
  async function leftBeside(name: string): Promise<{ old: object; fresh: Uint8Array }> {
    expect((await call(a, 'POST', `/v1/key/create/${name}`)).status).toBe(200)
    expect((await call(a, 'PUT', `/v1/key/rotate/${name}`)).status).toBe(200)
    const old = (await call(a, 'POST', `/v1/key/encrypt/${name}`, { plaintext: 'b2xk' })).json as object
    const fresh = encodeKeyVersion(generateKeyVersion('kes', 'AES256'))
    await store.delete(name, signal())
    await store.create(name, fresh, signal())
    return { old, fresh }
  }

  it('the new key\'s first rotation removes them and keeps its own original as version 1', async () => {
    const { old, fresh } = await leftBeside('left')
    expect(await storedOf('left')).toEqual(['left', 'left-v1-', 'left-v2-'])
    expect((await call(b, 'PUT', '/v1/key/rotate/left')).json).toMatchObject({ version: 2 })
    expect(await storedOf('left')).toEqual(['left', 'left-v1-', 'left-v2-'])
    expect(Buffer.from(await store.get('left-v1-', signal()))).toEqual(Buffer.from(fresh))
    // The deleted key's ciphertexts stay unopenable.
    // (A still caches the deleted key: the memory keystore has no watch, and its cache keeps it until cache.expiry.any.)
    expect((await call(b, 'POST', '/v1/key/decrypt/left', old)).status).toBe(400)
  })

  it('a key replaced again while they are read: 409, and nothing is removed', async () => {
    await leftBeside('swapped')
    const before = await storedOf('swapped')
    const third = encodeKeyVersion(generateKeyVersion('kes', 'AES256'))
    store.before.set('get swapped-v2-', async () => {
      await store.delete('swapped', signal())
      await store.create('swapped', third, signal())
    })
    const rotated = await call(b, 'PUT', '/v1/key/rotate/swapped')
    expect([rotated.status, rotated.json]).toEqual([409, { message: 'key is being rotated concurrently' }])
    expect(await storedOf('swapped')).toEqual(before)
    expect(Buffer.from(await store.get('swapped', signal()))).toEqual(Buffer.from(third))
  })

  it('the other server rotating the new key while they are read: its versions are kept whole', async () => {
    await leftBeside('both')
    // B has listed the old entries; before it reads version 1, A clears them and rotates the new key in full.
    store.before.set('get both-v1-', async () => {
      expect((await call(a, 'PUT', '/v1/key/rotate/both')).json).toMatchObject({ version: 2 })
    })
    const rotated = await call(b, 'PUT', '/v1/key/rotate/both')
    expect([rotated.status, rotated.json]).toEqual([409, { message: 'key is being rotated concurrently' }])
    const sealed = (await call(a, 'POST', '/v1/key/encrypt/both', { plaintext: 'bmV3' })).json as object
    expect(await storedOf('both')).toEqual(['both', 'both-v1-', 'both-v2-'])
    for (const s of [a, b]) expect((await call(s, 'POST', '/v1/key/decrypt/both', sealed)).json).toEqual({ plaintext: 'bmV3' })
  })
})
