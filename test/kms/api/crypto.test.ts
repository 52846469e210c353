/**
 * Cryptographic key routes over real mutual TLS: generate, encrypt, decrypt, bulk decrypt, hmac;
 * wrong context, tampered ciphertext, bad base64, malformed and oversized bodies.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { MemoryKeyStore } from '../../../backends/memory.js'
import { startTestServer, type TestServer } from '../../helpers/server.js'

let s: TestServer
const admin = () => s.pki.clients.admin
const err = (message: string) => ({ message })
const b64 = (s: string) => Buffer.from(s).toString('base64')
const ctx = b64('{"bucket":"bucket/object"}')
const NOT_AUTHENTIC = err('decryption failed: ciphertext is not authentic')

beforeAll(async () => {
  s = await startTestServer()
  expect((await s.call(admin(), 'POST', '/v1/key/create/k')).status).toBe(200)
  expect((await s.call(admin(), 'POST', '/v1/key/create/other')).status).toBe(200)
})

async function generate(context?: string) {
  const r = await s.call(admin(), 'POST', '/v1/key/generate/k', context === undefined ? {} : { context })
  expect(r.status).toBe(200)
  return r.json as { plaintext: string; ciphertext: string }
}

describe('/v1/key/generate/ and /v1/key/decrypt/', () => {
  it('round-trips a 32-byte data key bound to its context', async () => {
    const dek = await generate(ctx)
    expect(Buffer.from(dek.plaintext, 'base64')).toHaveLength(32)
    expect(Buffer.from(dek.ciphertext, 'base64')).toHaveLength(76) // 32 + 16 tag + 16 iv + 12 nonce
    const d = await s.call(admin(), 'PUT', '/v1/key/decrypt/k', { ciphertext: dek.ciphertext, context: ctx })
    expect([d.status, d.json]).toEqual([200, { plaintext: dek.plaintext }])
  })

  it('treats an empty body as an empty context (MinIO sends none on old paths)', async () => {
    const r = await s.call(admin(), 'POST', '/v1/key/generate/k')
    expect(r.status).toBe(200)
    const { plaintext, ciphertext } = r.json as { plaintext: string; ciphertext: string }
    const d = await s.call(admin(), 'POST', '/v1/key/decrypt/k', { ciphertext })
    expect(d.json).toEqual({ plaintext })
  })

  it('ignores unknown fields such as version, as Go does', async () => {
    expect((await s.call(admin(), 'POST', '/v1/key/generate/k', { context: ctx, version: 'v1' })).status).toBe(200)
  })

  it('refuses the wrong context, the wrong key, tampering and truncation with one message', async () => {
    const dek = await generate(ctx)
    const raw = Buffer.from(dek.ciphertext, 'base64')
    const flipped = Buffer.from(raw)
    flipped[3]! ^= 1
    const cases: Array<[string, object]> = [
      ['k', { ciphertext: dek.ciphertext, context: b64('{"bucket":"other"}') }],
      ['k', { ciphertext: dek.ciphertext }],
      ['other', { ciphertext: dek.ciphertext, context: ctx }],
      ['k', { ciphertext: flipped.toString('base64'), context: ctx }],
      ['k', { ciphertext: raw.subarray(0, 20).toString('base64'), context: ctx }],
      ['k', {}],
    ]
    for (const [key, body] of cases) {
      const r = await s.call(admin(), 'POST', `/v1/key/decrypt/${key}`, body)
      expect([r.status, r.json]).toEqual([400, NOT_AUTHENTIC])
    }
  })

  it.each([
    ['{"context":"%%%"}', 'bad base64'],
    ['{"context":"abc"}', 'unpadded base64'],
    ['{"context":', 'truncated JSON'],
    ['[1,2]', 'wrong JSON type'],
    ['{"context":5}', 'wrong field type'],
  ])('generate refuses %s (%s)', async (body) => {
    const r = await s.call(admin(), 'POST', '/v1/key/generate/k', body)
    expect([r.status, r.json]).toEqual([400, err('invalid request body')])
  })

  it('decrypt refuses bad base64 and oversized bodies', async () => {
    const bad = await s.call(admin(), 'POST', '/v1/key/decrypt/k', { ciphertext: 'a b c' })
    expect([bad.status, bad.json]).toEqual([400, err('invalid request body')])
    const big = await s.call(admin(), 'POST', '/v1/key/decrypt/k', { ciphertext: Buffer.alloc(760_000).toString('base64') })
    expect([big.status, big.json]).toEqual([400, err('invalid request body')])
  })

  it('answers 404 for a missing key (after validating the body, as KES)', async () => {
    const r = await s.call(admin(), 'POST', '/v1/key/generate/missing', {})
    expect([r.status, r.json]).toEqual([404, err('key does not exist')])
    const d = await s.call(admin(), 'POST', '/v1/key/decrypt/missing', { ciphertext: 'AAAA' })
    expect([d.status, d.json]).toEqual([404, err('key does not exist')])
  })

  it('refuses GET with 405', async () => {
    const r = await s.call(admin(), 'GET', '/v1/key/decrypt/k')
    expect([r.status, r.headers.accept, r.json]).toEqual([405, 'PUT', err("received method 'GET' expected 'PUT'")])
  })
})

describe('/v1/key/encrypt/', () => {
  it('encrypts a plaintext that decrypt returns', async () => {
    const plaintext = b64('hello <world> & co')
    const e = await s.call(admin(), 'POST', '/v1/key/encrypt/k', { plaintext, context: ctx })
    expect(e.status).toBe(200)
    const { ciphertext } = e.json as { ciphertext: string }
    const d = await s.call(admin(), 'POST', '/v1/key/decrypt/k', { ciphertext, context: ctx })
    expect(d.json).toEqual({ plaintext })
  })

  it('accepts a body just under 1 MB and refuses one over it', async () => {
    const ok = JSON.stringify({ plaintext: Buffer.alloc(749_000).toString('base64') })
    expect(ok.length).toBeLessThan(1_000_000)
    expect((await s.call(admin(), 'POST', '/v1/key/encrypt/k', ok)).status).toBe(200)
    const tooBig = JSON.stringify({ plaintext: Buffer.alloc(751_000).toString('base64') })
    const r = await s.call(admin(), 'POST', '/v1/key/encrypt/k', tooBig)
    expect([r.status, r.json]).toEqual([400, err('invalid request body')])
  })

  it('refuses a body streamed without Content-Length beyond the limit', async () => {
    const body = JSON.stringify({ plaintext: Buffer.alloc(751_000).toString('base64') })
    const r = await s.call(admin(), 'POST', '/v1/key/encrypt/k', body, { 'Transfer-Encoding': 'chunked' })
    expect([r.status, r.json]).toEqual([400, err('invalid request body')])
    const ok = await s.call(admin(), 'POST', '/v1/key/encrypt/k', '{"plaintext":"AA=="}', { 'Transfer-Encoding': 'chunked' })
    expect(ok.status).toBe(200)
  })

  it("refuses an empty body, as Go's JSON decoder does", async () => {
    const r = await s.call(admin(), 'POST', '/v1/key/encrypt/k')
    expect([r.status, r.json]).toEqual([400, err('invalid request body')])
  })
})

describe('/v1/key/bulk/decrypt/', () => {
  it('decrypts many ciphertexts in order', async () => {
    const deks = [await generate(ctx), await generate(ctx), await generate()]
    const body = deks.map((d, i) => (i < 2 ? { ciphertext: d.ciphertext, context: ctx } : { ciphertext: d.ciphertext }))
    const r = await s.call(admin(), 'POST', '/v1/key/bulk/decrypt/k', body)
    expect([r.status, r.json]).toEqual([200, deks.map((d) => ({ plaintext: d.plaintext }))])
  })

  it('fails the whole call on the first bad item, and refuses more than 1000 items', async () => {
    const dek = await generate(ctx)
    const r = await s.call(admin(), 'POST', '/v1/key/bulk/decrypt/k', [{ ciphertext: dek.ciphertext, context: ctx }, { ciphertext: dek.ciphertext }])
    expect([r.status, r.json]).toEqual([400, NOT_AUTHENTIC])
    const many = Array.from({ length: 1001 }, () => ({ ciphertext: dek.ciphertext }))
    const m = await s.call(admin(), 'POST', '/v1/key/bulk/decrypt/k', many)
    expect([m.status, m.json]).toEqual([400, err('too many ciphertexts')])
    const notArray = await s.call(admin(), 'POST', '/v1/key/bulk/decrypt/k', { ciphertext: dek.ciphertext })
    expect([notArray.status, notArray.json]).toEqual([400, err('invalid request body')])
  })
})

describe('/v1/key/hmac/', () => {
  it('is deterministic per key and 32 bytes long', async () => {
    const msg = { message: b64('root access key') }
    const a = await s.call(admin(), 'PUT', '/v1/key/hmac/k', msg)
    const b = await s.call(admin(), 'POST', '/v1/key/hmac/k', msg)
    const c = await s.call(admin(), 'POST', '/v1/key/hmac/other', msg)
    expect(a.status).toBe(200)
    expect(a.json).toEqual(b.json)
    expect(a.json).not.toEqual(c.json)
    expect(Buffer.from((a.json as { hmac: string }).hmac, 'base64')).toHaveLength(32)
  })

  it('answers 409 for a legacy key stored without an HMAC key, which still describes and encrypts', async () => {
    const store = new MemoryKeyStore()
    const legacy = JSON.stringify({ bytes: Buffer.alloc(32, 9).toString('base64') }) // KES ≤ v0.17 form
    await store.create('legacy', new TextEncoder().encode(legacy), new AbortController().signal)
    const t = await startTestServer({ keystore: { kind: 'instance', store } })
    const h = await t.call(admin(), 'POST', '/v1/key/hmac/legacy', { message: 'AA==' })
    expect([h.status, h.json]).toEqual([409, err('key does not support HMAC')])
    const d = await t.call(admin(), 'GET', '/v1/key/describe/legacy')
    expect(d.json).toEqual({ name: 'legacy', algorithm: 'AES256', created_at: '0001-01-01T00:00:00Z' })
    const e = await t.call(admin(), 'POST', '/v1/key/generate/legacy', {})
    expect(e.status).toBe(200)
  })

  it('refuses bad bodies and missing keys', async () => {
    const r = await s.call(admin(), 'POST', '/v1/key/hmac/k', { message: '!!' })
    expect([r.status, r.json]).toEqual([400, err('invalid request body')])
    const m = await s.call(admin(), 'POST', '/v1/key/hmac/missing', { message: 'AA==' })
    expect([m.status, m.json]).toEqual([404, err('key does not exist')])
  })
})
