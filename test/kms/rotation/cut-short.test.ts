/**
 * Key operations cut short or overlapped at the step where they went wrong, found by an attack on the
 * key lifecycle: real servers over mutual TLS on a stepped in-memory keystore that replaces by delete and
 * create (as fs and Vault do), so each interleaving is forced rather than hoped for.
 *
 * - A create (or import) of an existing key while a rotation replaced its name took the name over: the
 *   old key's ciphertexts stopped opening and its disabled state fell away.
 * - A deletion cut short after removing some versions left a live key that had lost them, and with
 *   version 1 its birth, so its disabled state no longer applied.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../../helpers/server.js'
import { Steps, WritesInterceptedStore } from './steps.js'

const signal = () => AbortSignal.timeout(5_000)

/** A keystore without a conditional replace whose steps can be held or failed: `before['create k']` runs (once) before that step. */
class SteppedStore extends WritesInterceptedStore {
  readonly steps = new Steps()
  readonly before = this.steps.before

  async create(name: string, value: Uint8Array, s: AbortSignal): Promise<void> {
    await this.steps.run('create', name)
    return this.inner.create(name, value, s)
  }
  async delete(name: string, s: AbortSignal): Promise<void> {
    await this.steps.run('delete', name)
    return this.inner.delete(name, s)
  }
}

let store: SteppedStore
let s: TestServer
beforeAll(async () => {
  store = new SteppedStore()
  s = await startTestServer({ keystore: { kind: 'instance', store } })
})
afterAll(async () => {
  await s?.close()
})

const call = (method: string, path: string, body?: object) => s.call(s.pki.clients.admin, method, path, body)
const seal = async (name: string) => ((await call('POST', `/v1/key/encrypt/${name}`, { plaintext: 'b2xk' })).json as { ciphertext: string }).ciphertext
const stored = async (name: string) => (await store.list(name, 0, signal())).names.filter((n) => n === name || n.startsWith(`${name}-`))

describe('a create of an existing key while a rotation replaces its name', () => {
  it.each(['create', 'import'] as const)('%s is refused, and the key keeps its material, versions and state', async (how) => {
    const name = `taken-${how}`
    expect((await call('POST', `/v1/key/create/${name}`)).status).toBe(200)
    const old = await seal(name)
    expect((await call('PUT', `/v1/key/rotate/${name}`)).status).toBe(200)
    expect((await call('PUT', `/v1/key/disable/${name}`, { decrypt: true })).status).toBe(200)
    let taken: Promise<{ status: number; json: unknown }> | undefined
    // The rotation has deleted the name and is about to create it again: the create comes in between.
    store.before.set(`create ${name}`, async () => {
      taken = how === 'create'
        ? call('POST', `/v1/key/create/${name}`)
        : call('PUT', `/v1/key/import/${name}`, { key: Buffer.alloc(32, 7).toString('base64'), cipher: 'AES256' })
      await new Promise((r) => setTimeout(r, 100)) // long enough for a create that does not wait its turn
    })
    expect((await call('PUT', `/v1/key/rotate/${name}`)).json).toMatchObject({ version: 3 })
    const answer = await taken!
    expect([answer.status, answer.json]).toEqual([400, { message: 'key already exists' }])
    expect((await call('POST', `/v1/key/decrypt/${name}`, { ciphertext: old })).json).toEqual({ plaintext: 'b2xk' })
    expect((await call('GET', `/v1/key/state/${name}`)).json).toMatchObject({ state: 'disabled' })
    expect(await stored(name)).toEqual([name, `${name}-v1-`, `${name}-v2-`, `${name}-v3-`])
  })
})

describe('a deletion cut short', () => {
  it('before the key is removed leaves the whole key: every version and its state', async () => {
    expect((await call('POST', '/v1/key/create/kept')).status).toBe(200)
    const old = await seal('kept')
    expect((await call('PUT', '/v1/key/rotate/kept')).status).toBe(200)
    expect((await call('PUT', '/v1/key/disable/kept', { decrypt: true })).status).toBe(200)
    store.before.set('delete kept', () => Promise.reject(new Error('keystore gone')))
    expect((await call('DELETE', '/v1/key/delete/kept')).status).toBeGreaterThanOrEqual(500)
    expect((await call('POST', '/v1/key/decrypt/kept', { ciphertext: old })).json).toEqual({ plaintext: 'b2xk' })
    expect((await call('GET', '/v1/key/state/kept')).json).toMatchObject({ state: 'disabled' })
    expect(await stored('kept')).toEqual(['kept', 'kept-v1-', 'kept-v2-'])
  })

  it('after the key is removed leaves no key, and what it left goes with the next creation of the name', async () => {
    expect((await call('POST', '/v1/key/create/gone')).status).toBe(200)
    const old = await seal('gone')
    expect((await call('PUT', '/v1/key/rotate/gone')).status).toBe(200)
    store.before.set('delete gone-v1-', () => Promise.reject(new Error('keystore gone')))
    expect((await call('DELETE', '/v1/key/delete/gone')).status).toBe(200)
    expect((await call('GET', '/v1/key/describe/gone')).status).toBe(404)
    expect((await call('POST', '/v1/key/decrypt/gone', { ciphertext: old })).status).toBe(404)
    expect(await stored('gone')).toEqual(['gone-v1-'])
    expect((await call('POST', '/v1/key/create/gone')).status).toBe(200)
    expect(await stored('gone')).toEqual(['gone'])
    expect((await call('POST', '/v1/key/decrypt/gone', { ciphertext: old })).status).toBe(400)
    expect((await call('PUT', '/v1/key/rotate/gone')).json).toMatchObject({ version: 2 })
  })
})
