/**
 * HTTP/1.1 on the KMS port (node:http behind the listener's ALPN fallback, src/kms/listener.ts)
 * over real mutual TLS, written by hand: keep-alive, pipelining, chunked request bodies,
 * 100-continue, HTTP/1.0, half-closing clients, bodies a route does not read or refuses, and what
 * a client that tries to desynchronise the connection (smuggling, header injection, floods) gets.
 */
import { connect, type TLSSocket } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../../helpers/server.js'

let s: TestServer

beforeAll(async () => {
  s = await startTestServer()
  expect((await s.call(s.pki.clients.admin, 'PUT', '/v1/key/create/k')).status).toBe(200)
})
afterAll(async () => {
  await s?.close()
})

/** Opens a mutual-TLS connection speaking HTTP/1.1 (ALPN) as the admin. */
function open(): Promise<TLSSocket> {
  const u = new URL(s.url)
  const a = s.pki.clients.admin
  return new Promise((resolve, reject) => {
    const socket = connect({ host: u.hostname, port: Number(u.port), ca: s.pki.ca.certPem, cert: a.certPem, key: a.keyPem, servername: 'localhost', ALPNProtocols: ['http/1.1'] }, () => resolve(socket))
    socket.once('error', reject)
  })
}

/** A parsed response off the wire. */
interface Wire {
  status: number
  headers: Record<string, string>
  body: string
}

/** Splits `text` into complete responses (Content-Length or chunked bodies); the rest is returned too. */
function responses(text: string, bodiless: ReadonlySet<number> = new Set()): { got: Wire[]; rest: string } {
  const got: Wire[] = []
  let at = 0
  for (;;) {
    const end = text.indexOf('\r\n\r\n', at)
    if (end < 0) break
    const lines = text.slice(at, end).split('\r\n')
    const status = Number(lines[0]!.split(' ')[1])
    const headers: Record<string, string> = {}
    for (const l of lines.slice(1)) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim()
    let bodyAt = end + 4
    let body = ''
    if (status === 100 || bodiless.has(got.length)) {
      got.push({ status, headers, body })
      at = bodyAt
      continue
    }
    if (headers['transfer-encoding'] === 'chunked') {
      let done = false
      for (;;) {
        const lf = text.indexOf('\r\n', bodyAt)
        if (lf < 0) break
        const size = parseInt(text.slice(bodyAt, lf), 16)
        if (text.length < lf + 2 + size + 2) break
        body += text.slice(lf + 2, lf + 2 + size)
        bodyAt = lf + 2 + size + 2
        if (size === 0) {
          done = true
          break
        }
      }
      if (!done) break
    } else {
      const length = Number(headers['content-length'] ?? 0)
      if (text.length < bodyAt + length) break
      body = text.slice(bodyAt, bodyAt + length)
      bodyAt += length
    }
    got.push({ status, headers, body })
    at = bodyAt
  }
  return { got, rest: text.slice(at) }
}

/**
 * Writes `pieces` and collects responses until `count` arrived; then, with `waitClose`, until the
 * server closes (the 5 s limit fails the test otherwise), else for 150 ms more to see whether it does.
 */
async function exchange(pieces: Array<string | Buffer>, count: number, opts: { end?: boolean; socket?: TLSSocket; bodiless?: ReadonlySet<number>; waitClose?: boolean } = {}): Promise<{ got: Wire[]; closed: boolean; rest: string }> {
  const socket = opts.socket ?? (await open())
  let text = ''
  let closed = false
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`timed out with ${JSON.stringify(text.slice(0, 500))}`))
    }, 5_000)
    const finish = () => {
      clearTimeout(timer)
      const r = responses(text, opts.bodiless)
      resolve({ ...r, closed })
    }
    socket.setEncoding('latin1')
    socket.on('data', (d: string) => {
      text += d
      if (responses(text, opts.bodiless).got.filter((r) => r.status !== 100).length >= count && !opts.end && !opts.waitClose) {
        // Give the server a moment to close (or not) after the last response.
        setTimeout(() => {
          closed = socket.destroyed || socket.readableEnded
          socket.destroy()
          finish()
        }, 150)
      }
    })
    socket.on('end', () => (closed = true))
    socket.on('close', () => {
      closed = true
      finish()
    })
    socket.on('error', () => undefined)
    for (const p of pieces) socket.write(p)
    if (opts.end) socket.end()
  })
}

const GET_VERSION = 'GET /version HTTP/1.1\r\nHost: x\r\n\r\n'
const put = (path: string, body: string, extra = '') => `PUT ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`

describe('keep-alive and pipelining', () => {
  it('answers pipelined requests in order on one connection and keeps it open', async () => {
    const r = await exchange([GET_VERSION + put('/v1/key/encrypt/k', '{"plaintext":"aGk="}') + 'GET /v1/nope HTTP/1.1\r\nHost: x\r\n\r\n'], 3)
    expect(r.got.map((w) => w.status)).toEqual([200, 200, 404])
    expect(JSON.parse(r.got[0]!.body)).toHaveProperty('version')
    expect(JSON.parse(r.got[1]!.body)).toHaveProperty('ciphertext')
    expect(r.closed).toBe(false)
  })

  it('answers requests written a byte at a time', async () => {
    const bytes = [...Buffer.from(put('/v1/key/encrypt/k', '{"plaintext":"aGk="}') + GET_VERSION)].map((b) => Buffer.from([b]))
    const r = await exchange(bytes, 2)
    expect(r.got.map((w) => w.status)).toEqual([200, 200])
  })

  it('serves an absolute-form target as its path, and answers the * target as Go does', async () => {
    const abs = await exchange(['GET https://localhost/version HTTP/1.1\r\nHost: x\r\n\r\n' + 'PUT https://localhost:7373/v1/key/encrypt/k?x=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n{"plaintext":"aGk="}'], 2)
    expect(abs.got.map((w) => w.status)).toEqual([200, 200])
    expect(JSON.parse(abs.got[1]!.body)).toHaveProperty('ciphertext')
    const options = await exchange(['OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n' + GET_VERSION], 2)
    expect(options.got.map((w) => [w.status, w.body])).toEqual([[200, ''], [200, options.got[1]!.body]])
    const star = await exchange(['GET * HTTP/1.1\r\nHost: x\r\n\r\n' + GET_VERSION], 1, { waitClose: true })
    expect([star.got.map((w) => w.status), star.closed]).toEqual([[400], true])
  })

  it('sends Date and Content-Length', async () => {
    const [w] = (await exchange([GET_VERSION], 1)).got
    expect(w!.headers.date).toMatch(/GMT$/)
    expect(Number(w!.headers['content-length'])).toBe(Buffer.byteLength(w!.body))
  })

  it('answers 300 pipelined requests sent without reading, in order', async () => {
    const many = Array.from({ length: 300 }, (_, i) => `GET /v1/nope${i} HTTP/1.1\r\nHost: x\r\n\r\n`).join('')
    const r = await exchange([many], 300)
    expect(r.got).toHaveLength(300)
    expect(r.got.every((w) => w.status === 404)).toBe(true)
  })

  it('answers or cuts a flood of pipelined heads, never hangs, and goes on serving', async () => {
    // node:http counts the heads parsed from one read against maxHeaderSize (16 KiB) and cuts the
    // connection; answering all of them in order would be as good. Hanging or a crash would not.
    const many = Array.from({ length: 2000 }, (_, i) => `GET /v1/nope${i} HTTP/1.1\r\nHost: x\r\n\r\n`).join('')
    const r = await exchange([many], 2000)
    expect(r.got.every((w) => w.status === 404)).toBe(true)
    expect(r.got.length === 2000 || r.closed).toBe(true)
    expect((await exchange([GET_VERSION], 1)).got[0]!.status).toBe(200)
  })
})

describe('connection close', () => {
  it('closes after a response to Connection: close and to HTTP/1.0, saying so', async () => {
    const close = await exchange(['GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' + GET_VERSION], 1, { waitClose: true })
    expect([close.got.length, close.got[0]!.headers.connection, close.closed]).toEqual([1, 'close', true])
    const old = await exchange(['GET /version HTTP/1.0\r\n\r\n'], 1, { waitClose: true })
    expect([old.got[0]!.status, old.got[0]!.headers.connection, old.closed]).toEqual([200, 'close', true])
  })

  it('answers a client that half-closes after its request', async () => {
    const r = await exchange([put('/v1/key/encrypt/k', '{"plaintext":"aGk="}')], 1, { end: true })
    expect(r.got.map((w) => w.status)).toEqual([200])
  })
})

describe('request bodies', () => {
  it('reads a chunked body, with extensions and trailers, then the next request', async () => {
    const chunked = 'PUT /v1/key/encrypt/k HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n' + '5\r\n{"pla\r\n' + 'f;x=y\r\nintext":"aGk="}\r\n' + '0\r\nX-T: 1\r\n\r\n'
    const r = await exchange([chunked + GET_VERSION], 2)
    expect(r.got.map((w) => w.status)).toEqual([200, 200])
    const { ciphertext } = JSON.parse(r.got[0]!.body) as { ciphertext: string }
    const back = await s.call(s.pki.clients.admin, 'PUT', '/v1/key/decrypt/k', { ciphertext })
    expect(back.json).toEqual({ plaintext: 'aGk=' })
  })

  it('reads a body that arrives with its head, and one that arrives after it', async () => {
    // Clients write head and body together (one read on the server) or apart (the body streams in later).
    const whole = await exchange([put('/v1/key/encrypt/k', '{"plaintext":"aGk="}') + GET_VERSION], 2)
    expect(whole.got.map((w) => w.status)).toEqual([200, 200])
    const socket = await open()
    socket.write('PUT /v1/key/encrypt/k HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n{"plaintext"')
    await new Promise((r) => setTimeout(r, 100))
    const later = await exchange([':"aGk="}' + GET_VERSION], 2, { socket })
    expect(later.got.map((w) => w.status)).toEqual([200, 200])
    const { ciphertext } = JSON.parse(later.got[0]!.body) as { ciphertext: string }
    expect((await s.call(s.pki.clients.admin, 'PUT', '/v1/key/decrypt/k', { ciphertext })).json).toEqual({ plaintext: 'aGk=' })
  })

  it('forgets a client that leaves in the middle of a body, and goes on serving', async () => {
    const socket = await open()
    socket.write('PUT /v1/key/encrypt/k HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n{"plain')
    await new Promise((r) => setTimeout(r, 50))
    socket.destroy()
    await new Promise((r) => setTimeout(r, 50))
    expect((await exchange([put('/v1/key/encrypt/k', '{"plaintext":"aGk="}')], 1)).got.map((w) => w.status)).toEqual([200])
  })

  it('refuses a chunked body over a small route limit that arrives whole with its head, and closes', async () => {
    // policy explain reads at most 4096 bytes; JSON allows the padding, so only the size refuses.
    const chunked = (pad: number) => {
      const body = '{"method":"GET","path":"/version"}' + ' '.repeat(pad)
      return `PUT /v1/policy/explain/${s.pki.clients.admin.identity} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`
    }
    expect((await exchange([chunked(4000)], 1)).got.map((w) => w.status)).toEqual([200])
    const r = await exchange([chunked(5000) + GET_VERSION], 2, { waitClose: true })
    expect(r.got.map((w) => w.status)).toEqual([400])
    expect(r.closed).toBe(true)
  })

  it('sends 100 Continue before reading a body that expects it', async () => {
    const socket = await open()
    const head = 'PUT /v1/key/encrypt/k HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 20\r\n\r\n'
    const continued = new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString('latin1'))))
    socket.write(head)
    expect(await continued).toBe('HTTP/1.1 100 Continue\r\n\r\n')
    const r = await exchange(['{"plaintext":"aGk="}'], 1, { socket })
    expect(r.got.map((w) => w.status)).toEqual([200])
  })

  it('refuses a malformed chunked body with 400 and closes', async () => {
    const r = await exchange(['PUT /v1/key/encrypt/k HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n' + GET_VERSION], 2, { waitClose: true })
    expect(r.got.map((w) => w.status)).toEqual([400])
    expect(r.closed).toBe(true)
  })

  it('skips a body the route does not read and serves the next request', async () => {
    const r = await exchange(['GET /version HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello' + GET_VERSION], 2)
    expect(r.got.map((w) => w.status)).toEqual([200, 200])
    expect(r.closed).toBe(false)
  })

  it('refuses a declared body over the route limit at once and closes, without waiting for the body', async () => {
    const started = Date.now()
    const r = await exchange(['PUT /v1/key/encrypt/k HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n{"plaintext":"'], 1, { waitClose: true })
    expect(r.got.map((w) => w.status)).toEqual([400])
    expect(r.got[0]!.headers.connection).toBe('close')
    expect(r.closed).toBe(true)
    expect(Date.now() - started).toBeLessThan(3_000)
  })

  it('closes after refusing a body that outgrows the limit while streaming, whatever follows', async () => {
    const body = JSON.stringify({ plaintext: 'A'.repeat(1_100_000) })
    const r = await exchange([`PUT /v1/key/encrypt/k HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n` + GET_VERSION], 2, { waitClose: true })
    expect(r.got.map((w) => w.status)).toEqual([400])
    expect(r.closed).toBe(true)
  })
})

describe('what a desynchronising client gets', () => {
  it('sends no body on HEAD, so a pipelined request after it is answered on its own', async () => {
    const r = await exchange(['HEAD /version HTTP/1.1\r\nHost: x\r\n\r\n' + GET_VERSION], 2, { bodiless: new Set([0]) })
    expect(r.got).toHaveLength(2)
    expect(r.got[1]!.status).toBe(200)
    expect(JSON.parse(r.got[1]!.body)).toHaveProperty('version')
    expect(r.rest).toBe('')
  })

  it('answers 400 and closes on smuggling framings, before any pipelined request is served', async () => {
    for (const head of [
      'PUT /v1/key/encrypt/k HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'PUT /v1/key/encrypt/k HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nContent-Length: 0\r\n\r\n',
      'PUT /v1/key/encrypt/k HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n0\r\n\r\n',
      'PUT /v1/key/encrypt/k HTTP/1.1\r\nHost: x\r\nContent-Length : 6\r\n\r\n',
      'PUT /v1/key/encrypt/k HTTP/1.1\r\nHost: x\nContent-Length: 6\r\n\r\n',
    ]) {
      const r = await exchange([head + GET_VERSION], 2, { waitClose: true })
      expect([head, r.got.map((w) => w.status), r.closed]).toEqual([head, [400], true])
    }
  })

  it('never lets a header value break the response head', async () => {
    // The only request fields echoed into a response head are redirects' Location (path, cleaned).
    const r = await exchange(['GET /v1/key/../status%0d%0aX-Injected:%201 HTTP/1.1\r\nHost: x\r\n\r\n'], 1)
    expect(r.got[0]!.status).toBe(301)
    expect(r.got[0]!.headers['x-injected']).toBeUndefined()
  })
})
