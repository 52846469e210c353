/**
 * startTestServer: a real KMS server over mutual TLS on 127.0.0.1:0 with every setting filled
 * with a test default (memory keystore, test PKI, admin = the `admin` client, silent logs), so a
 * test states only what it varies. Closed automatically after the test file.
 */
import { request as httpsRequest } from 'node:https'
import { afterAll } from 'vitest'
import { MemoryKeyStore } from '../../backends/memory.js'
import type { ServerConfig } from '../../src/kms/config/types.js'
import { silentLogger } from '../../src/kms/observability/logger.js'
import { startKmsServer, type KmsServer, type KmsServerOptions } from '../../src/kms/server.js'
import { testPki, type TestCert, type TestPki } from './pki.js'

export interface TestServer extends KmsServer {
  pki: TestPki
  /** Sends a request as `as` (a client cert, or null for none). */
  call(as: TestCert | null, method: string, path: string, body?: string | Buffer | object, headers?: Record<string, string>): Promise<TestResponse>
}

export interface TestResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  /** The parsed JSON body (undefined when not JSON). */
  json: unknown
}

const running = new Set<KmsServer>()
afterAll(async () => {
  await Promise.all([...running].map((s) => s.close()))
})

/** startTestServer starts a server; `partial` overrides config fields. */
export async function startTestServer(partial: Partial<ServerConfig> = {}, options: KmsServerOptions = {}): Promise<TestServer> {
  const pki = await testPki()
  const config: ServerConfig = {
    address: '127.0.0.1:0',
    admin: pki.clients.admin.identity,
    tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem, verifyClients: false },
    api: {},
    policies: {},
    cache: { anyMs: 60_000, unusedMs: 30_000, offlineMs: 0 },
    log: { error: 'silent', audit: 'silent' },
    keys: [],
    keystore: { kind: 'instance', store: new MemoryKeyStore() },
    ...partial,
  }
  const server = await startKmsServer(config, { log: silentLogger(), probeMs: 0, ...options })
  running.add(server)
  const call: TestServer['call'] = (as, method, path, body, headers = {}) => send(server.url, pki, as, method, path, body, headers)
  return Object.assign(server, { pki, call })
}

/** send makes one HTTPS request on a fresh connection. */
export function send(
  url: string, pki: TestPki, as: TestCert | null, method: string, path: string,
  body?: string | Buffer | object, headers: Record<string, string> = {},
): Promise<TestResponse> {
  const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const u = new URL(url)
    // The path goes out verbatim (a URL string would be normalised: `%2E%2E` → `..` → removed).
    const req = httpsRequest(
      {
        host: u.hostname.replace(/^\[|\]$/g, ''),
        port: u.port,
        path,
        servername: 'localhost',
        method,
        ca: pki.ca.certPem,
        ...(as === null ? {} : { cert: as.certPem, key: as.keyPem }),
        agent: false,
        headers: {
          ...(payload === undefined || 'Transfer-Encoding' in headers ? {} : { 'Content-Length': String(Buffer.byteLength(payload)) }),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let json: unknown
          try {
            json = JSON.parse(text)
          } catch {
            json = undefined
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json })
        })
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.setTimeout(10_000, () => req.destroy(new Error('test request timed out')))
    req.end(payload)
  })
}
