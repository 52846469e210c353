/**
 * A stand-in KES server for client tests: a real mutual-TLS https server on 127.0.0.1:0 whose
 * answers a test scripts per request. It records what arrived (method, path, body, the client's
 * identity) and how many TLS connections were opened.
 */
import { X509Certificate } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { identityOfCertificate } from '../../src/pki/index.js'
import { testPki } from '../helpers/pki.js'

export interface Received {
  method: string
  path: string
  body: string
  identity: string | undefined
  contentType: string | undefined
}

export type Handler = (req: Received, res: ServerResponse) => void

export interface StandIn {
  url: string
  address: string
  received: Received[]
  connections: number
  handler: Handler
  close(): Promise<void>
}

/** reply sends a status and an optional JSON value (KES style: JSON plus a newline). */
export function reply(res: ServerResponse, status: number, value?: unknown): void {
  if (value === undefined) {
    res.writeHead(status, { 'content-length': '0' }).end()
    return
  }
  const body = JSON.stringify(value) + '\n'
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body)
}

/** startStandIn starts a stand-in answering with `handler` (replaceable later through `.handler`). */
export async function startStandIn(handler: Handler = (_req, res) => reply(res, 200)): Promise<StandIn> {
  const pki = await testPki()
  const state = { connections: 0, received: [] as Received[], handler }
  const server: Server = createServer(
    { key: pki.server.keyPem, cert: pki.server.certPem, requestCert: true, rejectUnauthorized: false },
    (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const peer = (req.socket as TLSSocket).getPeerCertificate()
        const received: Received = {
          method: req.method ?? '',
          path: req.url ?? '',
          body: Buffer.concat(chunks).toString('utf8'),
          identity: peer.raw === undefined ? undefined : identityOfCertificate(new X509Certificate(peer.raw)),
          contentType: req.headers['content-type'],
        }
        state.received.push(received)
        state.handler(received, res)
      })
    },
  )
  server.on('secureConnection', () => state.connections++)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `https://127.0.0.1:${port}`,
    address: `127.0.0.1:${port}`,
    get received() {
      return state.received
    },
    get connections() {
      return state.connections
    },
    get handler() {
      return state.handler
    },
    set handler(h: Handler) {
      state.handler = h
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
