/**
 * A real Keyhold server for the SSE tests: mutual TLS on a loopback port, an fs keystore in a temp
 * dir, and a KES policy for the store's identity with exactly what MinIO needs
 * (docs/kes-compatibility.md, "The policy MinIO needs").
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseConfig } from '../../../src/kms/config/load.js'
import { startKmsServer, type KmsServer, type KmsServerOptions } from '../../../src/kms/server.js'
import { testPki, type TestCert } from '../../helpers/pki.js'

export const MINIO_POLICY = ['/v1/key/create/*', '/v1/key/generate/*', '/v1/key/decrypt/*', '/v1/key/list/*', '/v1/key/describe/*', '/v1/status']

export interface Keyhold {
  url: string
  port: number
  dir: string
  /** The identity keyhold-s3 connects as (a CA-signed client certificate). */
  store: TestCert
  admin: TestCert
  ca: TestCert
  server: KmsServer
  stop(): Promise<void>
  /** Starts again on the same port with the same keystore. */
  start(): Promise<void>
}

export async function startKeyhold(opts: { port?: number; dir?: string; allow?: string[]; identities?: string[]; requestWrappers?: KmsServerOptions['requestWrappers'] } = {}): Promise<Keyhold> {
  const pki = await testPki()
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'keyhold-sse-'))
  const store = pki.clients.app
  const yaml = (port: number) => [
    `address: 127.0.0.1:${port}`,
    `admin:\n  identity: ${pki.clients.admin.identity}`,
    `tls:\n  key: ${pki.server.keyFile}\n  cert: ${pki.server.certFile}`,
    'policy:\n  minio:\n    allow:',
    ...(opts.allow ?? MINIO_POLICY).map((p) => `      - ${p}`),
    '    identities:',
    ...[store.identity, ...(opts.identities ?? [])].map((i) => `      - ${i}`),
    `keystore:\n  fs:\n    path: ${join(dir, 'keys')}`,
    'log:\n  error: off\n  audit: off',
  ].join('\n')
  const file = join(dir, 'config.yml')
  const boot = async (port: number) => {
    writeFileSync(file, yaml(port))
    return startKmsServer(parseConfig(yaml(port), file), { watchPolicyFile: false, requestWrappers: opts.requestWrappers })
  }
  let server = await boot(opts.port ?? 0)
  const port = server.address.port
  const k: Keyhold = {
    url: `https://127.0.0.1:${port}`, port, dir, store, admin: pki.clients.admin, ca: pki.ca, server,
    async stop() {
      await server.close()
    },
    async start() {
      server = await boot(port)
      k.server = server
    },
  }
  return k
}
