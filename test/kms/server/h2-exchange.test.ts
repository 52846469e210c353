/**
 * HTTP/2 served from the raw stream (src/kms/api/h2-exchange.ts): the pipeline gets our request
 * and response, not Node's compat objects, and what the compat server did on its own (CONNECT,
 * Expect, HEAD, resets) still happens.
 */
import { Http2ServerRequest, Http2ServerResponse, constants, type ClientHttp2Session } from 'node:http2'
import { IncomingMessage } from 'node:http'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { onClose, type KesRequest, type KesResponse, type Next } from '../../../src/kms/api/http-types.js'
import { h2Connect, h2Send } from '../../helpers/h2.js'
import { testPki } from '../../helpers/pki.js'
import { startTestServer, type TestServer } from '../../helpers/server.js'

let s: TestServer
let session: ClientHttp2Session
const seen: Array<{ path: string; compat: boolean; node1: boolean; closes: number; status?: number }> = []

function record(req: KesRequest, res: KesResponse, next: Next): void {
  const entry: (typeof seen)[number] = { path: req.url, compat: req instanceof Http2ServerRequest || res instanceof Http2ServerResponse, node1: req instanceof IncomingMessage, closes: 0 }
  seen.push(entry)
  onClose(res, () => {
    entry.closes++
    entry.status = res.statusCode
  })
  next()
}

beforeAll(async () => {
  const pki = await testPki()
  s = await startTestServer({ policies: { app: { allow: ['/v1/key/generate/k*'], identities: [pki.clients.app.identity] } } }, { requestWrappers: [record] })
  expect((await s.call(pki.clients.admin, 'PUT', '/v1/key/create/k1')).status).toBe(200)
  session = await h2Connect(s.url, s.pki, s.pki.clients.app)
})

afterAll(() => {
  session?.destroy()
})

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 10))
}

it('hands the pipeline its own request and response on HTTP/2, node:http objects on HTTP/1.1', async () => {
  expect((await h2Send(session, 'PUT', '/v1/key/generate/k1', {})).status).toBe(200)
  expect((await s.call(s.pki.clients.app, 'PUT', '/v1/key/generate/k1', {})).status).toBe(200)
  await until(() => seen.filter((e) => e.path === '/v1/key/generate/k1' && e.closes === 1).length === 2)
  const [two, one] = seen.filter((e) => e.path === '/v1/key/generate/k1').slice(-2)
  expect(two).toMatchObject({ compat: false, node1: false, closes: 1, status: 200 })
  expect(one).toMatchObject({ compat: false, node1: true, closes: 1, status: 200 })
})

it('answers HEAD as HTTP/1.1 does, without a body', async () => {
  const h1 = await s.call(s.pki.clients.app, 'HEAD', '/version')
  const two = await h2Send(session, 'HEAD', '/version')
  expect(two.status).toBe(h1.status)
  expect(two.text).toBe('')
  expect(two.headers['content-type']).toBe(h1.headers['content-type'])
})

it('refuses CONNECT with 405 and an unknown expectation with 417, as the compat server did', async () => {
  const status = (headers: Record<string, string>) =>
    new Promise<number>((resolve, reject) => {
      const stream = session.request(headers, { endStream: true })
      stream.on('response', (h) => resolve(Number(h[':status'])))
      stream.on('error', reject)
      stream.resume()
    })
  expect(await status({ ':method': 'CONNECT', ':authority': 'localhost:1' })).toBe(405)
  expect(await status({ ':method': 'GET', ':path': '/version', expect: 'something' })).toBe(417)
})

it('sends 100 Continue for Expect: 100-continue, then the answer', async () => {
  const stream = session.request({ ':method': 'PUT', ':path': '/v1/key/generate/k1', expect: '100-continue' })
  const continued = new Promise<void>((resolve) => stream.once('continue', resolve))
  await continued
  stream.end('{}')
  const status = await new Promise<number>((resolve) => stream.on('response', (h) => resolve(Number(h[':status']))))
  stream.resume()
  expect(status).toBe(200)
})

it('closes a request reset by the client mid-body exactly once, and the session goes on', async () => {
  const before = seen.length
  const stream = session.request({ ':method': 'PUT', ':path': '/v1/key/generate/k1', 'content-length': '100' })
  stream.write('{"con')
  await until(() => seen.length > before)
  stream.close(constants.NGHTTP2_CANCEL)
  await until(() => seen[before]!.closes > 0)
  await new Promise((r) => setTimeout(r, 50))
  expect(seen[before]).toMatchObject({ compat: false, closes: 1 })
  expect((await h2Send(session, 'PUT', '/v1/key/generate/k1', {})).status).toBe(200)
})

it('resets a stream whose request body was refused with NO_ERROR once the answer went out, empty or not', async () => {
  const { createServer, connect } = await import('node:http2')
  const { serveStream } = await import('../../../src/kms/api/h2-exchange.js')
  const server = createServer()
  server.on('stream', (stream, headers) =>
    serveStream(stream, headers, (req, res) => {
      // As route.ts's readBody does with a body over the limit: read some, pause, refuse.
      req.once('data', () => {
        req.pause()
        ;(res as unknown as { stopRequestBody(): void }).stopRequestBody()
        res.statusCode = 400
        if (headers[':path'] === '/empty') res.end()
        else res.end('refused')
      })
    }),
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const client = connect(`http://127.0.0.1:${(server.address() as { port: number }).port}`)
  try {
    for (const path of ['/empty', '/text']) {
      const stream = client.request({ ':method': 'PUT', ':path': path }, { endStream: false })
      let status: unknown
      let body = ''
      stream.once('response', (h) => (status = h[':status']))
      stream.setEncoding('utf8').on('data', (d: string) => (body += d))
      stream.write(Buffer.alloc(1000)) // and never ended: only the reset closes the stream
      await new Promise((resolve, reject) => {
        stream.once('close', resolve)
        setTimeout(() => reject(new Error(`${path}: stream left open`)), 3_000)
      })
      expect([path, status, body, stream.rstCode]).toEqual([path, 400, path === '/empty' ? '' : 'refused', constants.NGHTTP2_NO_ERROR])
    }
  } finally {
    client.destroy()
    server.close()
  }
})
