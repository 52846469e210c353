/**
 * Key management routes over real mutual TLS: create, import, describe, list, delete, with the
 * exact KES status and message for every failure.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { MemoryKeyStore } from '../../../backends/memory.js'
import { encodeKeyVersion, generateKeyVersion } from '../../../src/kms/crypto/key.js'
import { startTestServer, type TestServer } from '../../helpers/server.js'

let s: TestServer
const admin = () => s.pki.clients.admin
const err = (message: string) => ({ message })

beforeAll(async () => {
  s = await startTestServer()
})

describe('/v1/key/create/', () => {
  it('creates a key with PUT or POST and refuses a second create', async () => {
    const put = await s.call(admin(), 'PUT', '/v1/key/create/c-put')
    expect(put.status).toBe(200)
    expect(put.text).toBe('')
    expect(put.headers['content-length']).toBe('0')
    expect(put.headers['content-type']).toBeUndefined()
    expect((await s.call(admin(), 'POST', '/v1/key/create/c-post')).status).toBe(200)
    const again = await s.call(admin(), 'POST', '/v1/key/create/c-put')
    expect([again.status, again.json]).toEqual([400, err('key already exists')])
  })

  it.each(['GET', 'DELETE', 'PATCH'])('answers %s with 405 and Accept: PUT', async (method) => {
    const r = await s.call(admin(), method, '/v1/key/create/c-method')
    expect(r.status).toBe(405)
    expect(r.headers.accept).toBe('PUT')
    expect(r.text).toBe(`{"message":"received method '${method}' expected 'PUT'"}`)
  })

  // [resource as sent, name as reported]
  it.each([
    ['%2E%2E', '..'],
    ['a%2Fb', 'a/b'],
    ['x'.repeat(81), 'x'.repeat(81)],
    ['', ''],
    ['-lead', '-lead'],
    ['trail-', 'trail-'],
    ['_', '_'],
    ['a.b', 'a.b'],
    ['a%20b', 'a b'],
  ])('refuses the name %s', async (sent, name) => {
    const r = await s.call(admin(), 'POST', `/v1/key/create/${sent}`)
    expect([r.status, r.json]).toEqual([400, err(`key name '${name}' is empty, too long or contains invalid characters`)])
  })

  it('accepts an 80-character name', async () => {
    expect((await s.call(admin(), 'POST', `/v1/key/create/${'k'.repeat(80)}`)).status).toBe(200)
  })

  it('redirects literal dot segments to the cleaned path, as Go ServeMux does', async () => {
    const r = await s.call(admin(), 'POST', '/v1/key/create/../x')
    expect(r.status).toBe(301)
    expect(r.headers.location).toBe('/v1/key/x')
  })
})

describe('name validation on every key route', () => {
  const routes: Array<[string, string]> = [
    ['POST', '/v1/key/import/'], ['GET', '/v1/key/describe/'], ['DELETE', '/v1/key/delete/'], ['POST', '/v1/key/encrypt/'],
    ['POST', '/v1/key/generate/'], ['POST', '/v1/key/decrypt/'], ['POST', '/v1/key/bulk/decrypt/'], ['POST', '/v1/key/hmac/'],
  ]
  it.each(routes.flatMap(([m, p]) => [['%2E%2E', '..'], ['a%2Fb', 'a/b'], ['y'.repeat(81), 'y'.repeat(81)], ['', '']].map(([sent, name]) => [m, p, sent!, name!] as const)))(
    '%s %s%s → 400',
    async (method, prefix, sent, name) => {
      const r = await s.call(admin(), method, prefix + sent, method === 'POST' ? {} : undefined)
      expect([r.status, r.json]).toEqual([400, err(`key name '${name}' is empty, too long or contains invalid characters`)])
    },
  )
})

describe('/v1/key/import/', () => {
  const key = Buffer.alloc(32, 7).toString('base64')

  it('imports a 32-byte key and encrypts with it', async () => {
    expect((await s.call(admin(), 'POST', '/v1/key/import/imp-1', { key, cipher: 'AES256' })).status).toBe(200)
    expect((await s.call(admin(), 'PUT', '/v1/key/import/imp-2', { key, cipher: 'XCHACHA20-POLY1305' })).status).toBe(200)
    const d = await s.call(admin(), 'GET', '/v1/key/describe/imp-2')
    expect(d.json).toMatchObject({ name: 'imp-2', algorithm: 'ChaCha20', created_by: admin().identity })
    const again = await s.call(admin(), 'POST', '/v1/key/import/imp-1', { key, cipher: 'AES256' })
    expect([again.status, again.json]).toEqual([400, err('key already exists')])
  })

  it.each<[string | object, number, string]>([
    [{ key, cipher: 'DES' }, 406, "algorithm 'DES' is not supported"],
    [{ key }, 406, "algorithm '' is not supported"],
    // Names of Object.prototype's members are no ciphers either (they once answered 500).
    ...['toString', '__proto__', 'constructor', 'hasOwnProperty', 'valueOf'].map((cipher): [object, number, string] => [{ key, cipher }, 406, `algorithm '${cipher}' is not supported`]),
    [{ key: Buffer.alloc(16).toString('base64'), cipher: 'AES256' }, 406, "invalid key size for 'AES256'"],
    [{ key: 'not base64!', cipher: 'AES256' }, 400, 'invalid import key request body'],
    [{ cipher: 'AES256' }, 406, "invalid key size for 'AES256'"],
    ['{"key":', 400, 'invalid import key request body'],
    ['', 400, 'invalid import key request body'],
  ])('refuses %j', async (body, status, message) => {
    const r = await s.call(admin(), 'POST', '/v1/key/import/imp-bad', body)
    expect([r.status, r.json]).toEqual([status, err(message)])
  })

  it('refuses a body over 1 MB', async () => {
    const r = await s.call(admin(), 'POST', '/v1/key/import/imp-big', JSON.stringify({ key, cipher: 'AES256', pad: 'x'.repeat(1_000_000) }))
    expect([r.status, r.json]).toEqual([400, err('invalid import key request body')])
  })
})

describe('/v1/key/describe/', () => {
  it('describes a key in KES shape', async () => {
    await s.call(admin(), 'POST', '/v1/key/create/desc-1')
    const r = await s.call(admin(), 'GET', '/v1/key/describe/desc-1')
    expect(r.status).toBe(200)
    expect(r.headers['content-type']).toBe('application/json')
    expect(Object.keys(r.json as object)).toEqual(['name', 'algorithm', 'created_at', 'created_by'])
    expect(r.json).toMatchObject({ name: 'desc-1', algorithm: 'AES256', created_by: admin().identity })
    expect((r.json as { created_at: string }).created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/)
    expect(r.text.endsWith('}\n')).toBe(true)
  })

  it('answers 404 for a missing key and 405 for PUT', async () => {
    const r = await s.call(admin(), 'GET', '/v1/key/describe/nope')
    expect([r.status, r.json]).toEqual([404, err('key does not exist')])
    const m = await s.call(admin(), 'PUT', '/v1/key/describe/nope')
    expect([m.status, m.headers.accept, m.json]).toEqual([405, 'GET', err("received method 'PUT' expected 'GET'")])
  })
})

describe('/v1/key/list/', () => {
  beforeAll(async () => {
    for (const n of ['ls-a1', 'ls-a2', 'ls-b1']) await s.call(admin(), 'POST', `/v1/key/create/${n}`)
  })

  it.each([
    ['ls-a*', ['ls-a1', 'ls-a2']], // trailing * stripped (HEAD bug fixed)
    ['ls-a', ['ls-a1', 'ls-a2']],
    ['ls-b1', ['ls-b1']],
    ['zzz*', []], // [] never null
  ])('lists %s', async (pattern, names) => {
    const r = await s.call(admin(), 'GET', `/v1/key/list/${pattern}`)
    expect(r.status).toBe(200)
    expect(r.json).toEqual({ names })
  })

  it('lists everything for * and for the empty pattern', async () => {
    const star = (await s.call(admin(), 'GET', '/v1/key/list/*')).json as { names: string[] }
    const empty = (await s.call(admin(), 'GET', '/v1/key/list/')).json as { names: string[] }
    expect(star.names).toEqual(expect.arrayContaining(['ls-a1', 'ls-a2', 'ls-b1']))
    expect(empty).toEqual(star)
    expect([...star.names].sort()).toEqual(star.names)
  })

  it('returns every name in one answer (kms-go continues at continue_at as a prefix, so paging would drop keys)', async () => {
    const store = new MemoryKeyStore()
    const encoded = encodeKeyVersion(generateKeyVersion('test'))
    for (let i = 0; i < 1100; i++) await store.create(`p-${String(i).padStart(4, '0')}`, encoded, new AbortController().signal)
    const t = await startTestServer({ keystore: { kind: 'instance', store } })
    const page = (await t.call(admin(), 'GET', '/v1/key/list/p-*')).json as { names: string[]; continue_at?: string }
    expect(page.names).toHaveLength(1100)
    expect(page.names[1099]).toBe('p-1099')
    expect(page.continue_at).toBeUndefined()
  })

  it('redirects /v1/key/list to /v1/key/list/ (how kms-go lists all keys)', async () => {
    const r = await s.call(admin(), 'GET', '/v1/key/list')
    expect([r.status, r.headers.location]).toEqual([301, '/v1/key/list/'])
  })

  it.each(['a*b', '**', 'a/b', 'x'.repeat(81)])('refuses the pattern %s', async (p) => {
    const r = await s.call(admin(), 'GET', `/v1/key/list/${encodeURIComponent(p).replace('%2A', '*')}`)
    expect([r.status, r.json]).toEqual([400, err(`listing pattern '${p}' is empty, too long or is invalid`)])
  })
})

describe('/v1/key/delete/', () => {
  it('deletes a key, then 404s', async () => {
    await s.call(admin(), 'POST', '/v1/key/create/del-1')
    await s.call(admin(), 'GET', '/v1/key/describe/del-1') // cached now
    const r = await s.call(admin(), 'DELETE', '/v1/key/delete/del-1')
    expect([r.status, r.text]).toEqual([200, ''])
    expect((await s.call(admin(), 'GET', '/v1/key/describe/del-1')).status).toBe(404) // evicted from the cache
    const again = await s.call(admin(), 'DELETE', '/v1/key/delete/del-1')
    expect([again.status, again.json]).toEqual([404, err('key does not exist')])
  })

  it('refuses POST and invalid names', async () => {
    const m = await s.call(admin(), 'POST', '/v1/key/delete/x')
    expect([m.status, m.headers.accept]).toEqual([405, 'DELETE'])
    const n = await s.call(admin(), 'DELETE', '/v1/key/delete/a%2Fb')
    expect(n.status).toBe(400)
  })
})
