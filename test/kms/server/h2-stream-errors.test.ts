/**
 * What an HTTP/2 client can do to a stream must never end the server: a stream broken by its peer
 * (a body longer than its Content-Length), reset with an error code, or refused for its size. Run
 * against the real executable, since an unhandled stream error ends the process.
 */
import { execFile } from 'node:child_process'
import { constants } from 'node:http2'
import { promisify } from 'node:util'
import { afterEach, beforeAll, beforeEach, expect, it } from 'vitest'
import { h2Connect, h2Send } from '../../helpers/h2.js'
import { testPki, type TestPki } from '../../helpers/pki.js'
import { spawnServer, type SpawnedServer } from '../observability/spawn-server.js'

const run = promisify(execFile)
let pki: TestPki
let server: SpawnedServer

beforeAll(async () => {
  pki = await testPki()
})

// A server per test: without the fix the first broken stream ends the process.
beforeEach(async () => {
  server = await spawnServer(pki, '')
}, 40_000)

afterEach(async () => {
  await server?.stop()
})

/** curl over HTTP/2 as `who`; resolves with curl's exit code (92: the stream was reset). Throws nothing. */
async function curlH2(who: 'admin' | 'app', args: string[]): Promise<number> {
  const c = pki.clients[who]
  const base = ['-sk', '--http2', '--max-time', '10', '--cacert', pki.ca.certFile, '--cert', c.certFile, '--key', c.keyFile, '-o', '/dev/null']
  return run('curl', [...base, ...args]).then(() => 0, (err: { code: number }) => err.code)
}

async function stillServing(): Promise<void> {
  await new Promise((r) => setTimeout(r, 300))
  expect(server.child.exitCode).toBeNull()
  const session = await h2Connect(server.url, pki, pki.clients.admin)
  try {
    expect((await h2Send(session, 'GET', '/version')).status).toBe(200)
  } finally {
    session.destroy()
  }
}

it('survives a body longer than the Content-Length it declared (nghttp2 resets the stream)', async () => {
  for (const [who, path] of [['app', '/version'], ['app', '/v1/nope'], ['app', '/v1/key/create/nope'], ['admin', '/v1/key/create/k1']] as const) {
    // curl's own outcome varies (an answer can beat the reset); the server's survival is the point.
    await curlH2(who, ['-X', path === '/version' || path === '/v1/nope' ? 'GET' : 'PUT', '-H', 'Content-Length: 1', '-d', 'abc', `${server.url}${path}`])
    await stillServing()
  }
  expect(server.stderr()).not.toMatch(/ERR_HTTP2_STREAM_ERROR|Unhandled 'error'/)
})

it('survives streams the client resets with an error code, an audit stream among them', async () => {
  const session = await h2Connect(server.url, pki, pki.clients.admin)
  try {
    for (const code of [constants.NGHTTP2_PROTOCOL_ERROR, constants.NGHTTP2_INTERNAL_ERROR, constants.NGHTTP2_ENHANCE_YOUR_CALM]) {
      const stream = session.request({ ':method': 'GET', ':path': '/v1/log/audit' })
      stream.on('error', () => undefined)
      await new Promise((resolve) => stream.once('response', resolve))
      stream.close(code)
      const body = session.request({ ':method': 'PUT', ':path': '/v1/key/create/k2', 'content-length': '100' })
      body.on('error', () => undefined)
      body.write('{"x')
      await new Promise((r) => setTimeout(r, 50))
      body.close(code)
    }
  } finally {
    session.destroy()
  }
  await stillServing()
  expect(server.stderr()).not.toMatch(/ERR_HTTP2_STREAM_ERROR|Unhandled 'error'/)
})
