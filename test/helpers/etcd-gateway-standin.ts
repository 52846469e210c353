/**
 * A hostile etcd gRPC-gateway stand-in: a plain HTTP server on 127.0.0.1 that answers the calls
 * the etcd keystore makes (status, range, watch) the way a broken or malicious member could, which
 * a real etcd (test/helpers/etcd.ts) never does: listings that never end, oversized pages, watch
 * streams ending with huge error texts. It is a stand-in for tests only; it does not model etcd.
 *
 * @module
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { EtcdConfig } from '../../backends/etcd/index.js'

/** A key-only range request of a listing, as the keystore sends it. */
export interface ListRequest {
  key: string
  range_end?: string
  limit?: string
}

/** How the stand-in answers. */
export interface GatewayBehaviour {
  /** Answers a listing's range request (default: no keys). */
  list?: (req: ListRequest) => Record<string, unknown>
  /** The error text a watch stream ends with, once created (default: the stream stays open). */
  watchError?: string
}

/** A running gateway stand-in. */
export interface GatewayStandin {
  url: string
  /** Range requests of listings answered so far. */
  listCalls: number
  /** Watch streams opened so far. */
  watchCalls: number
  /** An EtcdConfig for this stand-in (no TLS, no auth, short deadlines). */
  config(): EtcdConfig
  close(): Promise<void>
}

/** b64 encodes a key as the gateway does. */
export const b64 = (s: string): string => Buffer.from(s).toString('base64')

/** startGatewayStandin starts a stand-in on an ephemeral loopback port. */
export async function startGatewayStandin(behaviour: GatewayBehaviour): Promise<GatewayStandin> {
  const open = new Set<http.ServerResponse>()
  const server = http.createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => (body += c))
    req.on('end', (): void => {
      const send = (o: unknown): void => void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(o))
      const header = { revision: '5' }
      if (req.url === '/v3/maintenance/status') return send({ header, leader: '1' })
      if (req.url === '/v3/watch') {
        standin.watchCalls++
        res.writeHead(200, { 'Content-Type': 'application/json' })
        res.write(JSON.stringify({ result: { header, created: true } }) + '\n')
        if (behaviour.watchError !== undefined) {
          res.end(JSON.stringify({ error: { message: behaviour.watchError } }) + '\n')
        } else {
          open.add(res)
          res.on('close', () => open.delete(res))
        }
        return
      }
      if (req.url === '/v3/kv/range') {
        const q = JSON.parse(body) as ListRequest & { count_only?: boolean; keys_only?: boolean }
        if (q.count_only) return send({ header, count: '0' })
        if (!q.keys_only) return send({ header })
        standin.listCalls++
        return send({ header, ...(behaviour.list?.(q) ?? {}) })
      }
      send({ header })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const standin: GatewayStandin = {
    url,
    listCalls: 0,
    watchCalls: 0,
    config: () => ({ endpoints: [url], prefix: 'keyhold/', tls: {}, timeoutMs: 5_000, attemptTimeoutMs: 2_000 }),
    close: async () => {
      for (const res of open) res.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  return standin
}
