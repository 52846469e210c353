/**
 * An HTTP/2 test client (node:http2) with the same request/response shape as `send` in
 * server.ts: one TLS session per client certificate, requests as streams on it.
 */
import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2'
import type { TestCert, TestPki } from './pki.js'
import type { TestResponse } from './server.js'

/** h2Connect opens an HTTP/2 session as `as` (null: no client certificate). Rejects when the session fails. */
export function h2Connect(url: string, pki: TestPki, as: TestCert | null): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = connect(url, {
      ca: pki.ca.certPem,
      servername: 'localhost',
      ...(as === null ? {} : { cert: as.certPem, key: as.keyPem }),
    })
    session.once('error', reject)
    session.once('connect', () => {
      session.off('error', reject)
      session.on('error', () => undefined) // a later failure shows on the request instead
      resolve(session)
    })
  })
}

/** h2Send makes one request on `session`. Rejects when the stream fails or takes more than 10 s. */
export function h2Send(
  session: ClientHttp2Session, method: string, path: string,
  body?: string | Buffer | object, headers: Record<string, string> = {},
): Promise<TestResponse> {
  const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': method, ':path': path, ...headers }, { endStream: payload === undefined })
    let head: IncomingHttpHeaders = {}
    const chunks: Buffer[] = []
    stream.on('response', (h) => (head = h))
    stream.on('data', (c: Buffer) => chunks.push(c))
    stream.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch {
        json = undefined
      }
      const status = head[':status']
      if (status === undefined) return reject(new Error('stream ended without a response'))
      // Plain entries only (no pseudo-headers, no Symbol(sensitiveHeaders)), as node:https gives them.
      const headers = Object.fromEntries(Object.entries(head).filter(([k]) => !k.startsWith(':')))
      resolve({ status: Number(status), headers, text, json })
    })
    stream.on('error', reject)
    stream.setTimeout(10_000, () => stream.close(constants.NGHTTP2_CANCEL))
    stream.on('close', () => {
      if (stream.rstCode !== constants.NGHTTP2_NO_ERROR) reject(new Error(`stream reset with code ${stream.rstCode}`))
    })
    if (payload !== undefined) stream.end(payload)
  })
}
