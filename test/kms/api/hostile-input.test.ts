/**
 * Hostile input against a real KMS server over mutual TLS, bounded in count and size: malformed,
 * oversized and deeply nested bodies on every route that reads one, path tricks and invalid names,
 * header floods and requests without or with hostile certificates. Nothing may answer 5xx, hang
 * or take the server down; every refusal has KES's status and text.
 */
import { connect as tcpConnect, type Socket } from 'node:net'
import { connect, type TLSSocket } from 'node:tls'
import { beforeAll, describe, expect, it } from 'vitest'
import { asClient, craft } from '../../helpers/hostile-certs.js'
import { startTestServer, type TestServer } from '../../helpers/server.js'

const INVALID_BODY = { message: 'invalid request body' }
let s: TestServer

beforeAll(async () => {
  s = await startTestServer()
  expect((await s.call(s.pki.clients.admin, 'PUT', '/v1/key/create/k')).status).toBe(200)
})

const admin = () => s.pki.clients.admin

/** Bodies no route can read: every route that reads a body must answer 400. */
const BODIES: Array<[string, string | Buffer]> = [
  ['not JSON', '{"plaintext":'],
  ['a JSON array nested 100,000 deep', '['.repeat(100_000) + ']'.repeat(100_000)],
  ['over the 1 MB limit', JSON.stringify({ plaintext: 'A'.repeat(1_100_000) })],
  ['NUL bytes', Buffer.from([0x7b, 0x00, 0x00, 0x7d])],
  ['a number', '1e999999'],
]

/** Fields of the wrong type or encoding, per route (unknown fields are ignored, as KES's Go decoder does). */
const FIELDS: Array<[string, string, string]> = [
  ['/v1/key/encrypt/k', 'plaintext', '42'],
  ['/v1/key/encrypt/k', 'plaintext', '"!!!not base64!!!"'],
  ['/v1/key/encrypt/k', 'context', '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000)],
  ['/v1/key/decrypt/k', 'ciphertext', '[1,2,3]'],
  ['/v1/key/decrypt/k', 'ciphertext', '"%%%"'],
  ['/v1/key/hmac/k', 'message', 'true'],
  ['/v1/key/generate/k', 'context', '"!!!not base64!!!"'],
]

describe('bodies', () => {
  it.each(BODIES)('refuses %s on encrypt, decrypt and hmac with 400', async (_name, body) => {
    for (const path of ['/v1/key/encrypt/k', '/v1/key/decrypt/k', '/v1/key/hmac/k']) {
      const r = await s.call(admin(), 'PUT', path, body)
      expect([path, r.status, r.json]).toEqual([path, 400, INVALID_BODY])
    }
  })

  it.each(BODIES)('refuses %s on import with 400', async (_name, body) => {
    const r = await s.call(admin(), 'PUT', '/v1/key/import/imported', body)
    expect([r.status, r.json]).toEqual([400, { message: 'invalid import key request body' }])
  })

  it.each(BODIES)('refuses %s on generate and bulk decrypt with 400', async (_name, body) => {
    for (const path of ['/v1/key/generate/k', '/v1/key/bulk/decrypt/k']) {
      const r = await s.call(admin(), 'PUT', path, body)
      expect([path, r.status]).toEqual([path, 400])
    }
  })

  it.each(FIELDS)('refuses %s with %s = %s', async (path, field, value) => {
    const r = await s.call(admin(), 'PUT', path, `{"${field}": ${value}}`)
    expect([r.status, r.json]).toEqual([400, INVALID_BODY])
  })

  it('reads an object nested 100,000 deep in an ignored field without failing', async () => {
    const r = await s.call(admin(), 'PUT', '/v1/key/generate/k', '{"x":' + '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_001))
    expect(r.status).toBeLessThan(500)
  })

  it('refuses a Content-Length far beyond the limit before reading the body', async () => {
    const r = await s.call(admin(), 'PUT', '/v1/key/encrypt/k', '{}', { 'Content-Length': '99999999999' })
    expect(r.status).toBe(400)
  })

  it('still serves after all of the above', async () => {
    const r = await s.call(admin(), 'PUT', '/v1/key/generate/k', '{}')
    expect(r.status).toBe(200)
  })
})

describe('paths and names', () => {
  const invalidName = (name: string) => ({ message: `key name '${name}' is empty, too long or contains invalid characters` })
  it.each([
    ['%2F', 'a/b'],
    ['%00', 'a\u0000b'],
    ['%2E%2E', '..'],
    ['%20', 'a b'],
  ])('refuses a key name with %s as an invalid name', async (enc, decoded) => {
    const r = await s.call(admin(), 'PUT', `/v1/key/create/a${enc}b`.replace('a%2E%2Eb', '%2E%2E'))
    expect([r.status, r.json]).toEqual([400, invalidName(enc === '%2E%2E' ? '..' : decoded)])
  })

  it('refuses an overlong key name', async () => {
    const name = 'k'.repeat(1000)
    const r = await s.call(admin(), 'PUT', `/v1/key/create/${name}`)
    expect([r.status, r.json]).toEqual([400, invalidName(name)])
  })

  it('answers 400 to an undecodable path and redirects dot segments instead of resolving them', async () => {
    expect((await s.call(admin(), 'GET', '/v1/key/describe/%zz')).status).toBe(400)
    const r = await s.call(admin(), 'GET', '/v1/key/../status')
    expect(r.status).toBe(301)
    expect(r.headers.location).toBe('/v1/status')
  })

  it('answers 404 to unknown and overlong paths', async () => {
    expect((await s.call(admin(), 'GET', '/v1/nope')).status).toBe(404)
    expect((await s.call(admin(), 'GET', '/' + 'x'.repeat(8000))).status).toBe(404)
  })
})

/** Writes raw bytes on a fresh mutual-TLS connection and returns whatever comes back before it closes. */
function raw(request: string | Buffer, as = s.pki.clients.admin, ms = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const u = new URL(s.url)
    const sock = connect({ host: u.hostname, port: Number(u.port), ca: s.pki.ca.certPem, cert: as.certPem, key: as.keyPem, servername: 'localhost' }, () => sock.end(request))
    let out = ''
    sock.setEncoding('latin1')
    sock.on('data', (d: string) => (out += d))
    sock.on('close', () => resolve(out))
    sock.on('error', (err) => (out === '' ? reject(err) : resolve(out)))
    sock.setTimeout(ms, () => sock.destroy(new Error('server kept the connection open')))
  })
}

describe('raw HTTP', () => {
  it('answers 431 to a header flood', async () => {
    const res = await raw(`GET /v1/status HTTP/1.1\r\nHost: x\r\nX-Flood: ${'a'.repeat(100_000)}\r\n\r\n`)
    expect(res).toMatch(/^HTTP\/1\.1 431 /)
  })

  it('answers 400 to garbage instead of HTTP', async () => {
    const res = await raw('\u0000\u0001\u0002 not http at all\r\n\r\n')
    expect(res).toMatch(/^HTTP\/1\.1 400 /)
  })

  it('answers 400 to conflicting Content-Length and Transfer-Encoding (request smuggling)', async () => {
    const res = await raw('PUT /v1/key/generate/k HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n')
    expect(res).toMatch(/^HTTP\/1\.1 400 /)
  })
})

describe('certificates', () => {
  it('drops a connection without a client certificate', async () => {
    await expect(s.call(null, 'GET', '/v1/status')).rejects.toThrow(/socket hang up|ECONNRESET|EPIPE/)
  })

  it('refuses a CA certificate as client certificate and still serves the admin', async () => {
    const ca = await craft({ subject: 'CN=ca', ca: true })
    const r = await s.call(asClient(ca, [ca.certPem]), 'GET', '/v1/key/list/*')
    expect([r.status, r.json]).toEqual([400, { message: 'tls: client certificate is required' }])
    expect((await s.call(admin(), 'GET', '/v1/key/list/*')).status).toBe(200)
  })
})

describe('slow and abandoned connections', () => {
  /** Resolves with how long the server kept `socket` open (bounded by the test's own 8 s). */
  const closedAfter = (make: () => Socket): Promise<{ ms: number; got: string }> =>
    new Promise((resolve) => {
      const began = Date.now()
      const socket = make()
      let got = ''
      socket.on('data', (d: Buffer) => (got += d.toString('latin1')))
      socket.on('error', () => undefined)
      socket.on('close', () => resolve({ ms: Date.now() - began, got }))
      setTimeout(() => socket.destroy(), 8_000).unref()
    })

  it('cuts a bare TCP connection, a silent TLS connection and a trickled request head', async () => {
    const t = await startTestServer({}, { listenerLimits: { handshakeTimeoutMs: 500, headersTimeoutMs: 500 } })
    const u = new URL(t.url)
    const a = t.pki.clients.admin
    const tlsTo = (onConnect?: (c: TLSSocket) => void) => {
      const c = connect({ host: u.hostname, port: Number(u.port), ca: t.pki.ca.certPem, cert: a.certPem, key: a.keyPem, servername: 'localhost' }, () => onConnect?.(c))
      return c
    }
    const [bare, silent, trickled] = await Promise.all([
      closedAfter(() => tcpConnect(Number(u.port), u.hostname)),
      closedAfter(() => tlsTo()),
      closedAfter(() => tlsTo((c) => {
        c.write('GET /v1/status HTTP/1.1\r\n')
        const drip = setInterval(() => c.write('X'), 100)
        c.on('close', () => clearInterval(drip))
      })),
    ])
    for (const r of [bare, silent, trickled]) expect(r.ms).toBeLessThan(4_000)
    expect(silent.got).toMatch(/^HTTP\/1\.1 408 /)
    expect(trickled.got).toMatch(/^HTTP\/1\.1 408 /)
  })

  it('keeps serving a keep-alive connection that sends its requests in time', async () => {
    const t = await startTestServer({}, { listenerLimits: { headersTimeoutMs: 500 } })
    const out = await new Promise<string>((resolve, reject) => {
      const u = new URL(t.url)
      const a = t.pki.clients.admin
      const c = connect({ host: u.hostname, port: Number(u.port), ca: t.pki.ca.certPem, cert: a.certPem, key: a.keyPem, servername: 'localhost' }, () => {
        let n = 0
        const send = () => c.write('GET /version HTTP/1.1\r\nHost: x\r\n\r\n')
        send()
        let buf = ''
        c.on('data', (d: Buffer) => {
          buf += d.toString('latin1')
          if ((buf.match(/HTTP\/1\.1 200/g) ?? []).length > n) {
            n++
            if (n < 4) setTimeout(send, 300) // each gap under the head deadline, the sum well over it
            else c.end()
          }
        })
        c.on('close', () => resolve(buf))
        c.on('error', reject)
      })
    })
    expect(out.match(/HTTP\/1\.1 200/g)).toHaveLength(4)
  })
})
