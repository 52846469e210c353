/**
 * A graceful close over both protocols: a request in flight when the server closes is answered
 * (HTTP/1.1 and HTTP/2 alike), idle connections are closed at once, and what is still in flight
 * after the grace period is cut and counted.
 */
import { request } from 'node:https'
import { beforeEach, describe, expect, it } from 'vitest'
import { h2Connect } from '../../helpers/h2.js'
import { startTestServer, type TestServer } from '../../helpers/server.js'

let s: TestServer

beforeEach(async () => {
  s = await startTestServer()
  expect((await s.call(s.pki.clients.admin, 'PUT', '/v1/key/create/k')).status).toBe(200)
})

/** Starts a generate over HTTP/1.1 whose body is sent only when `finish` is called. */
function h1Stalled(): { finish(): void; status: Promise<number> } {
  const admin = s.pki.clients.admin
  const u = new URL(s.url)
  const req = request({ host: u.hostname, port: u.port, path: '/v1/key/generate/k', method: 'PUT', ca: s.pki.ca.certPem, cert: admin.certPem, key: admin.keyPem, servername: 'localhost', agent: false, headers: { 'Content-Length': '2' } })
  const status = new Promise<number>((resolve, reject) => {
    req.on('response', (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
  })
  req.flushHeaders()
  return { finish: () => req.end('{}'), status }
}

/** The same over HTTP/2. */
async function h2Stalled(): Promise<{ finish(): void; status: Promise<number> }> {
  const session = await h2Connect(s.url, s.pki, s.pki.clients.admin)
  const stream = session.request({ ':method': 'PUT', ':path': '/v1/key/generate/k', 'content-length': '2' })
  const status = new Promise<number>((resolve, reject) => {
    let code = 0
    stream.on('response', (h) => (code = Number(h[':status'])))
    stream.on('data', () => undefined)
    stream.on('end', () => {
      resolve(code)
      session.close()
    })
    stream.on('error', reject)
  })
  return { finish: () => stream.end('{}'), status }
}

describe('graceful close', () => {
  it.each([['HTTP/1.1', async () => h1Stalled()], ['HTTP/2', h2Stalled]] as const)('answers a %s request in flight', async (_proto, start) => {
    const inFlight = await start()
    await new Promise((r) => setTimeout(r, 100)) // the request has reached the server
    const closed = s.close(5_000)
    await new Promise((r) => setTimeout(r, 100))
    inFlight.finish()
    expect(await inFlight.status).toBe(200)
    expect(await closed).toBe(0)
  })

  it.each([['HTTP/1.1', async () => h1Stalled()], ['HTTP/2', h2Stalled]] as const)('cuts a %s request still in flight after the grace period', async (_proto, start) => {
    const inFlight = await start()
    await new Promise((r) => setTimeout(r, 100))
    const began = Date.now()
    expect(await s.close(300)).toBe(1)
    expect(Date.now() - began).toBeLessThan(3_000)
    // Cut: an error on HTTP/1.1, a stream ended without a response on HTTP/2.
    expect(await inFlight.status.catch(() => -1)).not.toBe(200)
  })
})
