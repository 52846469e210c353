/**
 * The KMS over HTTP/2 (what MinIO's kms-go client negotiates) and HTTP/1.1 on the same port:
 * ALPN, every answer byte-identical on both, identity from the TLS session, the same refusals
 * and limits, log streams as long-lived streams, idle connections closed on both.
 */
import { constants, type ClientHttp2Session } from 'node:http2'
import { connect as tlsConnect } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKmsObservability, type KmsObservability } from '../../../src/kms/observability/kms.js'
import { LISTENER_LIMITS } from '../../../src/kms/listener.js'
import { h2Connect, h2Send } from '../../helpers/h2.js'
import { testPki, type TestCert } from '../../helpers/pki.js'
import { send, startTestServer, type TestResponse, type TestServer } from '../../helpers/server.js'

let s: TestServer
let obs: KmsObservability
const sessions: ClientHttp2Session[] = []

async function h2(as: TestCert | null, server = s): Promise<ClientHttp2Session> {
  const session = await h2Connect(server.url, server.pki, as)
  sessions.push(session)
  return session
}

/** The headers a client compares: connection-level ones differ by protocol by definition. */
function comparable(r: TestResponse) {
  const { date: _date, connection: _c, 'keep-alive': _k, 'transfer-encoding': _t, ...headers } = r.headers
  return { status: r.status, headers, text: r.text }
}

beforeAll(async () => {
  const pki = await testPki()
  obs = await createKmsObservability({ log: { error: 'silent', audit: 'info' } }, { audit: { kind: 'off' }, errorSink: { write: () => true } })
  s = await startTestServer(
    { policies: { app: { allow: ['/v1/key/generate/k*', '/v1/key/decrypt/k*', '/v1/log/audit'], identities: [pki.clients.app.identity] } } },
    obs.serverOptions(),
  )
  expect((await s.call(pki.clients.admin, 'PUT', '/v1/key/create/k1')).status).toBe(200)
})

afterAll(async () => {
  for (const session of sessions) session.destroy()
  await s?.close()
  await obs?.close()
})

describe('HTTP/2 and HTTP/1.1 on one port', () => {
  it('picks the protocol by ALPN: h2 when offered, http/1.1 otherwise', async () => {
    const alpn = (protocols: string[] | undefined) =>
      new Promise<string | false | null>((resolve, reject) => {
        const { admin } = s.pki.clients
        const socket = tlsConnect({ host: '127.0.0.1', port: s.address.port, servername: 'localhost', ca: s.pki.ca.certPem, cert: admin.certPem, key: admin.keyPem, ...(protocols ? { ALPNProtocols: protocols } : {}) }, () => {
          resolve(socket.alpnProtocol)
          socket.destroy()
        })
        socket.on('error', reject)
      })
    expect(await alpn(['h2', 'http/1.1'])).toBe('h2')
    expect(await alpn(['http/1.1'])).toBe('http/1.1')
    expect(await alpn(undefined)).toBe(false)
  })

  it('answers every route with the same status, headers and body on both', async () => {
    const { admin } = s.pki.clients
    const session = await h2(admin)
    const cases: Array<[string, string, string?]> = [
      ['GET', '/version'],
      ['GET', '/v1/api'],
      ['GET', '/v1/key/describe/k1'],
      ['GET', '/v1/key/list/*'],
      ['GET', '/v1/key/list/k*?x=1'],
      ['GET', '/v1/key/list'], // 301 to the prefix route
      ['PUT', '/v1//key/create/x'], // 301, path cleaning
      ['PUT', '/v1/key/create/k1'], // exists
      ['GET', '/v1/key/describe/missing'],
      ['GET', '/v1/key/describe/%2E%2E'],
      ['DELETE', '/v1/key/generate/k1'], // 405 with Accept
      ['PUT', '/v1/key/decrypt/k1', '{"ciphertext":"not base64!"}'],
      ['PUT', '/v1/key/decrypt/k1', 'not json'],
      ['GET', '/v1/identity/self/describe'],
      ['GET', '/v1/policy/list/*'],
      ['GET', '/no/such/path'],
    ]
    for (const [method, path, body] of cases) {
      const h1 = await s.call(admin, method, path, body)
      const two = await h2Send(session, method, path, body)
      expect(comparable(two), `${method} ${path}`).toEqual(comparable(h1))
    }
  })

  it('sends no connection-specific header on HTTP/2', async () => {
    const session = await h2(s.pki.clients.admin)
    for (const path of ['/version', '/v1/key/list/*', '/v1/key/list', '/no/such/path']) {
      const r = await h2Send(session, 'GET', path)
      for (const name of ['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']) expect(r.headers[name], `${path}: ${name}`).toBeUndefined()
    }
  })

  it('generates on one protocol and decrypts on the other', async () => {
    const { app } = s.pki.clients
    const session = await h2(app)
    const context = Buffer.from('ctx').toString('base64')
    const viaH2 = (await h2Send(session, 'PUT', '/v1/key/generate/k1', { context })).json as { plaintext: string; ciphertext: string }
    const back = await s.call(app, 'PUT', '/v1/key/decrypt/k1', { ciphertext: viaH2.ciphertext, context })
    expect(back.json).toEqual({ plaintext: viaH2.plaintext })
    const viaH1 = (await s.call(app, 'PUT', '/v1/key/generate/k1', { context })).json as { plaintext: string; ciphertext: string }
    expect((await h2Send(session, 'PUT', '/v1/key/decrypt/k1', { ciphertext: viaH1.ciphertext, context })).json).toEqual({ plaintext: viaH1.plaintext })
  })
})

describe('identity on HTTP/2', () => {
  it('is the certificate of the TLS session, per session, on every stream', async () => {
    const { admin, app } = s.pki.clients
    const [a, b] = [await h2(admin), await h2(app)]
    // Interleaved streams on two sessions: no identity leaks from one connection to another.
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => h2Send(i % 2 ? b : a, 'GET', '/v1/identity/self/describe')))
    results.forEach((r, i) => {
      expect(r.status).toBe(200)
      expect(r.json).toMatchObject(i % 2 ? { identity: app.identity, policy: 'app' } : { identity: admin.identity, admin: true })
    })
    // The app's policy applies to its streams; the admin's rights do not carry over.
    expect((await h2Send(b, 'PUT', '/v1/key/create/app-made')).status).toBe(403)
    expect((await h2Send(b, 'PUT', '/v1/key/generate/k1')).status).toBe(200)
  })

  it('refuses an unknown identity with the same 403 as HTTP/1.1', async () => {
    const { stranger } = s.pki.clients
    const h1 = await s.call(stranger, 'PUT', '/v1/key/generate/k1')
    const two = await h2Send(await h2(stranger), 'PUT', '/v1/key/generate/k1')
    expect(two.json).toEqual({ message: 'not authorized: insufficient permissions' })
    expect(comparable(two)).toEqual(comparable(h1))
  })

  it('refuses a client without a certificate at the connection, as on HTTP/1.1', async () => {
    await expect(send(s.url, s.pki, null, 'GET', '/version')).rejects.toThrow()
    const outcome = await h2Connect(s.url, s.pki, null).then(
      (session) => {
        sessions.push(session)
        return h2Send(session, 'GET', '/version').then((r) => `answered ${r.status}`, () => 'refused')
      },
      () => 'refused',
    )
    expect(outcome).toBe('refused')
  })

  it('with skip_auth, answers a certificate-less client with the same 400 as HTTP/1.1', async () => {
    const server = await startTestServer({ api: { '/v1/status': { skipAuth: true } } })
    const session = await h2(null, server)
    expect((await h2Send(session, 'GET', '/v1/status')).status).toBe(200)
    for (const [method, path] of [['PUT', '/v1/key/create/x'], ['GET', '/v1/identity/self/describe']] as const) {
      const h1 = await server.call(null, method, path)
      const two = await h2Send(session, method, path)
      expect(two.json).toEqual({ message: 'tls: client certificate is required' })
      expect(comparable(two)).toEqual(comparable(h1))
    }
  })
})

describe('limits on HTTP/2', () => {
  it('advertises the stream and header limits in its SETTINGS', async () => {
    const session = await h2(s.pki.clients.admin)
    await h2Send(session, 'GET', '/version') // a round trip: the server's SETTINGS have arrived
    expect(session.remoteSettings.maxConcurrentStreams).toBe(LISTENER_LIMITS.maxConcurrentStreams)
    expect(session.remoteSettings.maxHeaderListSize).toBe(LISTENER_LIMITS.maxHeaderBytes)
  })

  it('applies the route body limit, declared or not, with the same answer as HTTP/1.1', async () => {
    const { app } = s.pki.clients
    const session = await h2(app)
    const big = JSON.stringify({ context: 'A'.repeat(1_100_000) })
    const h1 = await s.call(app, 'PUT', '/v1/key/generate/k1', big)
    expect(h1.status).toBeGreaterThanOrEqual(400)
    expect(comparable(await h2Send(session, 'PUT', '/v1/key/generate/k1', big, { 'content-length': String(big.length) }))).toEqual(comparable(h1))
    // Without a length the limit is counted as the body arrives.
    const undeclared = await h2Send(session, 'PUT', '/v1/key/generate/k1', big)
    expect([undeclared.status, undeclared.json]).toEqual([h1.status, h1.json])
    // The session survives it.
    expect((await h2Send(session, 'PUT', '/v1/key/generate/k1', {})).status).toBe(200)
  })

  it('cuts a stream whose body never ends at the route deadline, as HTTP/1.1 cuts the connection', async () => {
    const server = await startTestServer({ api: { '/v1/key/generate/': { timeoutMs: 500 } } })
    const session = await h2(server.pki.clients.admin, server)
    const stream = session.request({ ':method': 'PUT', ':path': '/v1/key/generate/k' }, { endStream: false })
    stream.write('{"context":') // and nothing more
    let status: unknown
    stream.once('response', (h) => (status = h[':status']))
    stream.resume()
    const start = Date.now()
    await new Promise((resolve) => stream.once('close', resolve))
    expect(Date.now() - start).toBeGreaterThanOrEqual(450)
    expect(Date.now() - start).toBeLessThan(5_000)
    expect(status).toBeUndefined() // no answer, like KES's write deadline
    // Only the stream is cut: the session goes on.
    expect((await h2Send(session, 'GET', '/version')).status).toBe(200)
  })

  it('refuses a body that outgrows the limit while streaming and ends the stream, not the session', async () => {
    const session = await h2(s.pki.clients.admin)
    const stream = session.request({ ':method': 'PUT', ':path': '/v1/key/encrypt/k' }, { endStream: false })
    let status: unknown
    let body = ''
    stream.once('response', (h) => (status = h[':status']))
    stream.setEncoding('utf8').on('data', (d: string) => (body += d))
    stream.on('error', () => undefined)
    const closed = new Promise((resolve) => stream.once('close', resolve))
    // Well over the 1 MB limit, and never ended: the server must not wait for the rest.
    stream.write('{"plaintext":"' + 'A'.repeat(1_100_000))
    await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error(`stream left open: ${String(status)} ${body}`)), 5_000))])
    expect([status, JSON.parse(body)]).toEqual([400, { message: 'invalid request body' }])
    expect((await h2Send(session, 'GET', '/version')).status).toBe(200)
  })

  it('refuses a header block over the limit without hurting the session or the server', async () => {
    const { admin } = s.pki.clients
    const huge = { 'x-filler': 'a'.repeat(LISTENER_LIMITS.maxHeaderBytes + 1024) }
    const h1 = await s.call(admin, 'GET', '/version', undefined, huge)
    expect(h1.status).toBe(431)
    const session = await h2(admin)
    await h2Send(session, 'GET', '/version') // the server's SETTINGS are acknowledged, so in force
    const half = { 'x-filler': 'a'.repeat(LISTENER_LIMITS.maxHeaderBytes / 2) }
    expect([(await s.call(admin, 'GET', '/version', undefined, half)).status, (await h2Send(session, 'GET', '/version', undefined, half)).status]).toEqual([200, 200])
    await expect(h2Send(session, 'GET', '/version', undefined, huge)).rejects.toThrow(/ENHANCE_YOUR_CALM/)
    expect((await h2Send(session, 'GET', '/version')).status).toBe(200)
  })
})

describe('log streams on HTTP/2', () => {
  it('streams the audit log as a long-lived stream that ends cleanly when the client cancels', async () => {
    const { app } = s.pki.clients
    const session = await h2(app)
    const follow = session.request({ ':method': 'GET', ':path': '/v1/log/audit' })
    const head = await new Promise<Record<string, unknown>>((resolve) => follow.once('response', resolve))
    expect([head[':status'], head['content-type']]).toEqual([200, 'application/x-ndjson'])
    let got = ''
    follow.setEncoding('utf8').on('data', (d: string) => (got += d))
    expect(obs.audit.hub.size).toBe(1)
    // Other streams on the same connection go on while the log stream is open.
    for (let i = 0; i < 3; i++) expect((await h2Send(session, 'PUT', '/v1/key/generate/k1', {})).status).toBe(200)
    await until(() => got.split('\n').filter((l) => l.includes('/v1/key/generate/k1')).length === 3)
    expect(JSON.parse(got.split('\n')[0]!)).toMatchObject({ request: { ip: '127.0.0.1', path: '/v1/key/generate/k1', identity: app.identity }, response: { code: 200 } })

    const closed = new Promise((resolve) => follow.once('close', resolve))
    follow.close(constants.NGHTTP2_CANCEL)
    await closed
    await until(() => obs.audit.hub.size === 0)
    expect(obs.audit.hub.size).toBe(0)
    expect((await h2Send(session, 'GET', '/version')).status).toBe(200)
  })
})

describe('idle connections', () => {
  it('closes idle HTTP/1.1 and HTTP/2 connections, but not an HTTP/2 connection with an open log stream', async () => {
    const { app, admin } = s.pki.clients
    const idle = await h2(admin)
    expect((await h2Send(idle, 'GET', '/version')).status).toBe(200)
    const idleClosed = new Promise<number>((resolve) => idle.once('close', () => resolve(Date.now())))
    const busy = await h2(app)
    const follow = busy.request({ ':method': 'GET', ':path': '/v1/log/audit' })
    await new Promise((resolve) => follow.once('response', resolve))
    follow.resume()
    const busyClosed = new Promise<number>((resolve) => busy.once('close', () => resolve(Date.now())))
    // HTTP/1.1 keep-alive on the fallback path (node:http's defaults are not given to http2 servers).
    const keepAlive = await new Promise<import('node:tls').TLSSocket>((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port: s.address.port, servername: 'localhost', ca: s.pki.ca.certPem, cert: admin.certPem, key: admin.keyPem, ALPNProtocols: ['http/1.1'] }, () => {
        socket.write('GET /version HTTP/1.1\r\nHost: localhost\r\n\r\n')
        socket.resume() // a paused socket would never see the server's FIN
        resolve(socket)
      })
      socket.on('error', reject)
    })
    const h1Closed = new Promise<number>((resolve) => keepAlive.once('close', () => resolve(Date.now())))
    const start = Date.now()

    const limit = LISTENER_LIMITS.idleMs
    expect(await Promise.race([idleClosed, sleep(limit + 2000).then(() => 0)]) - start).toBeGreaterThanOrEqual(limit - 1500)
    expect(await Promise.race([h1Closed, sleep(2000).then(() => 0)])).toBeGreaterThan(0)
    expect([busy.closed, follow.closed]).toEqual([false, false])

    follow.close(constants.NGHTTP2_CANCEL)
    const cancelled = Date.now()
    expect(await Promise.race([busyClosed, sleep(limit + 2000).then(() => 0)]) - cancelled).toBeGreaterThanOrEqual(limit - 500)
  }, 20_000)
})

describe('HTTP/1.1 on the same port', () => {
  it('still refuses a request without Host, as node:https did', async () => {
    const { admin } = s.pki.clients
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port: s.address.port, servername: 'localhost', ca: s.pki.ca.certPem, cert: admin.certPem, key: admin.keyPem, ALPNProtocols: ['http/1.1'] }, () => {
        socket.write('GET /version HTTP/1.1\r\n\r\n')
      })
      let text = ''
      socket.setTimeout(5000, () => socket.destroy())
      socket.setEncoding('utf8').on('data', (d: string) => (text += d))
      socket.on('close', () => resolve(text))
      socket.on('error', reject)
    })
    expect(reply).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/)
  })
})

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

async function until(fn: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!fn() && Date.now() < deadline) await sleep(20)
}
