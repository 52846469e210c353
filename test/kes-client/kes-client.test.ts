import { createPrivateKey } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KesClient, KesConnectionError, KesError } from '../../src/kes-client/index.js'
import { apiKeyIdentity, newApiKey } from '../../src/pki/index.js'
import { testPki, type TestPki } from '../helpers/pki.js'
import { reply, startStandIn, type StandIn } from './standin.js'

let pki: TestPki
let server: StandIn
let client: KesClient

beforeAll(async () => {
  pki = await testPki()
  server = await startStandIn()
  client = await KesClient.create({
    endpoints: [server.address],
    certPem: pki.clients.app.certPem,
    keyPem: pki.clients.app.keyPem,
    ca: pki.ca.certPem,
  })
})
afterAll(async () => {
  client.close()
  await server.close()
})

const last = () => server.received.at(-1)!

describe('KesClient requests', () => {
  it('authenticates with the client certificate over one kept-alive connection', async () => {
    server.handler = (_req, res) => reply(res, 200, { version: 'v1', commit: 'abc' })
    const before = server.connections
    expect(await client.version()).toEqual({ version: 'v1', commit: 'abc' })
    await client.version()
    await client.version()
    expect(last()).toMatchObject({ method: 'GET', path: '/version', identity: pki.clients.app.identity })
    expect(server.connections - before).toBeLessThanOrEqual(1)
  })

  it('sends key operations with base64 JSON bodies and decodes the answers', async () => {
    const plaintext = Buffer.alloc(32, 7)
    const ciphertext = Buffer.from('sealed-bytes')
    server.handler = (req, res) => {
      if (req.path.startsWith('/v1/key/generate/')) reply(res, 200, { plaintext: plaintext.toString('base64'), ciphertext: ciphertext.toString('base64') })
      else if (req.path.startsWith('/v1/key/encrypt/')) reply(res, 200, { ciphertext: ciphertext.toString('base64') })
      else if (req.path.startsWith('/v1/key/decrypt/')) reply(res, 200, { plaintext: plaintext.toString('base64') })
      else if (req.path.startsWith('/v1/key/hmac/')) reply(res, 200, { hmac: Buffer.alloc(32, 9).toString('base64') })
      else reply(res, 200)
    }
    const ctx = Buffer.from('{"bucket":"obj"}')

    expect(await client.generateKey('my-key', ctx)).toEqual({ plaintext, ciphertext })
    expect(last()).toMatchObject({ method: 'POST', path: '/v1/key/generate/my-key', contentType: 'application/json' })
    expect(JSON.parse(last().body)).toEqual({ context: ctx.toString('base64') })

    await client.generateKey('my-key')
    expect(last().body).toBe('')

    expect(await client.encrypt('my-key', Buffer.from('hello'))).toEqual(ciphertext)
    expect(JSON.parse(last().body)).toEqual({ plaintext: Buffer.from('hello').toString('base64') })

    expect(await client.decrypt('my-key', ciphertext, ctx)).toEqual(plaintext)
    expect(JSON.parse(last().body)).toEqual({ ciphertext: ciphertext.toString('base64'), context: ctx.toString('base64') })

    expect(await client.hmac('my-key', Buffer.from('root access key'))).toEqual(Buffer.alloc(32, 9))
    expect(last()).toMatchObject({ method: 'PUT', path: '/v1/key/hmac/my-key' })

    await client.createKey('new-key')
    expect(last()).toMatchObject({ method: 'POST', path: '/v1/key/create/new-key', body: '' })
    await client.importKey('imp', Buffer.alloc(32, 1))
    expect(JSON.parse(last().body)).toEqual({ key: Buffer.alloc(32, 1).toString('base64'), cipher: 'AES256' })
    await client.deleteKey('old')
    expect(last()).toMatchObject({ method: 'DELETE', path: '/v1/key/delete/old' })
  })

  it('passes names through percent-encoded so the server judges them', async () => {
    server.handler = (_req, res) => reply(res, 400, { message: "key name 'a/b' is empty, too long or contains invalid characters" })
    await expect(client.describeKey('a/b')).rejects.toMatchObject({ status: 400 })
    expect(last().path).toBe('/v1/key/describe/a%2Fb')
  })

  it('describes keys, policies and identities with the wire field names', async () => {
    const info = { name: 'k', algorithm: 'AES256', created_at: '2026-01-01T00:00:00Z', created_by: 'x' }
    server.handler = (_req, res) => reply(res, 200, info)
    expect(await client.describeKey('k')).toEqual(info)
    await client.readPolicy('p')
    expect(last().path).toBe('/v1/policy/read/p')
    await client.describePolicy('p')
    expect(last().path).toBe('/v1/policy/describe/p')
    await client.describeIdentity('abc')
    expect(last().path).toBe('/v1/identity/describe/abc')
    await client.describeSelf()
    expect(last().path).toBe('/v1/identity/self/describe')
    await client.status()
    expect(last().path).toBe('/v1/status')
    await client.apis()
    expect(last().path).toBe('/v1/api')
    await client.ready()
    expect(last().path).toBe('/v1/ready')
  })

  it('returns metrics as text', async () => {
    server.handler = (_req, res) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end('kes_system_up_time 3\n')
    expect(await client.metrics()).toBe('kes_system_up_time 3\n')
  })
})

describe('KesClient errors', () => {
  it.each([
    ['KES HEAD body (newline inside)', 'application/json', '{"message":"key does not exist"\n}', 404, 'key does not exist'],
    ['an "error" field', 'application/json; charset=utf-8', '{"error":"key does not exist"}', 404, 'key does not exist'],
    ['plain text', 'text/plain; charset=utf-8', '404 page not found\n', 404, '404 page not found'],
    ['an old server text', 'application/json', '{"message":"key does already exist"}', 400, 'key already exists'],
    ['an old denial text', 'application/json', '{"message":"prohibited by policy"}', 403, 'not authorized: insufficient permissions'],
    ['no body', undefined, '', 403, 'Forbidden'],
    ['a message naming an Object property', 'application/json', '{"message":"constructor"}', 500, 'constructor'],
    ['a long text cut, marked with …', 'text/plain', `boom ${'y'.repeat(60 << 10)}`, 500, `boom ${'y'.repeat(294)}…`],
    ['a long JSON message cut', 'application/json', JSON.stringify({ message: 'z'.repeat(301) }), 502, `${'z'.repeat(299)}…`],
    ['a 300-character message kept whole', 'application/json', JSON.stringify({ message: 'z'.repeat(300) }), 400, 'z'.repeat(300)],
  ])('parses %s', async (_name, type, body, status, message) => {
    server.handler = (_req, res) => res.writeHead(status, type === undefined ? {} : { 'content-type': type }).end(body)
    const err = await client.describeKey('k').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KesError)
    expect(err).toMatchObject({ status, message })
  })
})

describe('KesClient answer fields', () => {
  it('refuses base64 that Go would refuse: junk around a valid value, missing padding, whitespace, URL-safe letters', async () => {
    const key = Buffer.alloc(32, 5).toString('base64')
    for (const bad of [`!!${key}!!`, `${key}\u0000junk`, key.replace(/=+$/, ''), ` ${key}`, `${key.slice(0, 20)}\n${key.slice(20)}`, key.replace(/\//g, '_').replace(/\+/g, '-') + '_-']) {
      server.handler = (_req, res) => reply(res, 200, { plaintext: bad, ciphertext: key })
      const err = await client.generateKey('k').catch((e: unknown) => e)
      expect(err).toBeInstanceOf(KesError)
      expect((err as Error).message).toBe('invalid response: a field is not valid base64')
    }
    server.handler = (_req, res) => reply(res, 200, { plaintext: key, ciphertext: '' })
    expect((await client.generateKey('k')).plaintext).toEqual(Buffer.alloc(32, 5))
  })
})

describe('KesClient answer sizes', () => {
  it('refuses a key-operation answer over 64 KiB without buffering it, yet reads large metrics and listings', async () => {
    const big = 'x'.repeat(1 << 20)
    server.handler = (req, res) => {
      if (req.path.startsWith('/v1/metrics')) res.writeHead(200, { 'content-type': 'text/plain' }).end(`# ${big}\n`)
      else if (req.path.startsWith('/v1/key/list/')) reply(res, 200, { names: Array.from({ length: 20_000 }, (_, i) => `key-${String(i).padStart(60, '0')}`) })
      else if (req.path.startsWith('/v1/key/decrypt/')) reply(res, 200, { plaintext: Buffer.alloc(32).toString('base64'), padding: big.slice(0, 65 << 10) })
      else reply(res, 200, { plaintext: Buffer.alloc(32).toString('base64'), ciphertext: big })
    }
    for (const call of [() => client.generateKey('k'), () => client.decrypt('k', Buffer.from('c')), () => client.describeKey('k'), () => client.status()]) {
      const err = await call().catch((e: unknown) => e)
      expect(err).toBeInstanceOf(KesConnectionError)
      expect((err as Error).message).toMatch(/response larger than 655[0-9]{2} bytes$/)
    }
    expect((await client.metrics()).length).toBe(big.length + 3)
    let names = 0
    for await (const _ of client.listKeys()) names++
    expect(names).toBe(20_000)
    // An encrypt's or decrypt's answer may be as large as its request: a CLI sealing 600 KB.
    const plaintext = Buffer.alloc(600_000, 7)
    server.handler = (req, res) => reply(res, 200, req.path.startsWith('/v1/key/encrypt/') ? { ciphertext: plaintext.toString('base64') } : { plaintext: plaintext.toString('base64') })
    expect((await client.encrypt('k', plaintext)).length).toBe(plaintext.length)
    expect((await client.decrypt('k', plaintext)).length).toBe(plaintext.length)
  })
})

describe('KesClient listings', () => {
  it('follows continue_at and never repeats a name', async () => {
    server.handler = (req, res) => {
      const prefix = decodeURIComponent(req.path.slice('/v1/key/list/'.length))
      if (prefix === 'app-*') reply(res, 200, { names: ['app-1', 'app-2'], continue_at: 'app-3' })
      // A server that answers its own prefix as continue_at would loop: the client stops.
      else if (prefix === 'app-3') reply(res, 200, { names: ['app-2', 'app-3', 'app-30'], continue_at: 'app-3' })
      else reply(res, 500, { message: 'unexpected' })
    }
    const names: string[] = []
    for await (const n of client.listKeys('app-*')) names.push(n)
    expect(names).toEqual(['app-1', 'app-2', 'app-3', 'app-30'])
    expect(server.received.slice(-2).map((r) => r.path)).toEqual(['/v1/key/list/app-*', '/v1/key/list/app-3'])
  })

  it('stops at a page that brings no new name, whatever continue_at says (a hostile server)', async () => {
    let pages = 0
    server.handler = (_req, res) => {
      pages++
      // Each answer names a new continue_at but only names already seen: paging would never end.
      reply(res, 200, { names: ['app-1'], continue_at: `app-${pages + 1}` })
    }
    const names: string[] = []
    for await (const n of client.listKeys('app-*')) names.push(n)
    expect(names).toEqual(['app-1'])
    expect(pages).toBe(2)
  })

  it('lists identities and policies (null lists are empty)', async () => {
    server.handler = (req, res) =>
      req.path.startsWith('/v1/identity/') ? reply(res, 200, { identities: ['a', 'b'] }) : reply(res, 200, { names: null })
    const ids: string[] = []
    for await (const id of client.listIdentities()) ids.push(id)
    expect(ids).toEqual(['a', 'b'])
    expect(last().path).toBe('/v1/identity/list/*')
    for await (const p of client.listPolicies('x*')) ids.push(p)
    expect(ids).toEqual(['a', 'b'])
    expect(last().path).toBe('/v1/policy/list/x*')
  })

  it('reads the ndjson listing of servers before 2023', async () => {
    server.handler = (_req, res) => res.writeHead(200, { 'content-type': 'application/x-ndjson' }).end('{"name":"k1"}\n{"name":"k2"}\n')
    const names: string[] = []
    for await (const n of client.listKeys()) names.push(n)
    expect(names).toEqual(['k1', 'k2'])
  })
})

describe('KesClient log streams', () => {
  it('yields events as they are flushed and ends quietly when aborted', async () => {
    server.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' })
      res.write('{"time":"t1","request":{"path":"/v1/key/create/a"},"response":{"code":200}}\n{"time":"t2",')
      setTimeout(() => res.write('"request":{"path":"/v1/status"},"response":{"code":403}}\n'), 50)
    }
    const abort = new AbortController()
    const codes: number[] = []
    for await (const ev of client.auditLog(abort.signal)) {
      codes.push(ev.response.code)
      if (codes.length === 2) abort.abort()
    }
    expect(codes).toEqual([200, 403])
    expect(last().path).toBe('/v1/log/audit')
  })

  it('throws the server error when the stream is refused', async () => {
    server.handler = (_req, res) => reply(res, 403, { message: 'not authorized: insufficient permissions' })
    const read = async () => {
      for await (const _ of client.errorLog()) void _
    }
    await expect(read()).rejects.toMatchObject({ status: 403, message: 'not authorized: insufficient permissions' })
  })
})

describe('KesClient authentication and trust', () => {
  it('turns an API key into a certificate with the key identity', async () => {
    const apiKey = newApiKey()
    const c = await KesClient.create({ endpoints: [server.url], apiKey, ca: pki.ca.certPem })
    server.handler = (_req, res) => reply(res, 200, { version: 'v', commit: 'c' })
    await c.version()
    c.close()
    expect(last().identity).toBe(apiKeyIdentity(apiKey))
  })

  it('refuses an unknown server certificate unless insecure', async () => {
    server.handler = (_req, res) => reply(res, 200, { version: 'v', commit: 'c' })
    const strict = await KesClient.create({ endpoints: [server.url], certPem: pki.clients.app.certPem, keyPem: pki.clients.app.keyPem })
    await expect(strict.version()).rejects.toBeInstanceOf(KesConnectionError)
    strict.close()
    const loose = await KesClient.create({ endpoints: [server.url], certPem: pki.clients.app.certPem, keyPem: pki.clients.app.keyPem, insecure: true })
    expect(await loose.version()).toEqual({ version: 'v', commit: 'c' })
    loose.close()
  })

  it('decrypts an encrypted client key with its password', async () => {
    const encrypted = createPrivateKey(pki.clients.app.keyPem).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }).toString()
    server.handler = (_req, res) => reply(res, 200, { version: 'v', commit: 'c' })
    const c = await KesClient.create({ endpoints: [server.url], certPem: pki.clients.app.certPem, keyPem: encrypted, keyPassword: 'pw', ca: pki.ca.certPem })
    await c.version()
    c.close()
    expect(last().identity).toBe(pki.clients.app.identity)
  })

  it('rejects inconsistent credentials', async () => {
    await expect(KesClient.create({ endpoints: [server.url], certPem: 'x' })).rejects.toThrow('must be given together')
    await expect(
      KesClient.create({ endpoints: [server.url], certPem: 'x', keyPem: 'y', apiKey: newApiKey() }),
    ).rejects.toThrow('mutually exclusive')
    await expect(KesClient.create({ endpoints: [server.url], apiKey: 'kes:v1:AAAA' })).rejects.toThrow('invalid API key')
  })
})
