/**
 * End to end with the real curl binary and the filesystem keystore: a config file, an admin and
 * an application identity with a policy, key files on disk, and a restart that keeps the keys.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { loadConfigFile } from '../../../src/kms/config/load.js'
import { silentLogger } from '../../../src/kms/observability/logger.js'
import { startKmsServer, type KmsServer } from '../../../src/kms/server.js'
import { testPki, type TestCert, type TestPki } from '../../helpers/pki.js'

const run = promisify(execFile)
let pki: TestPki
let dir: string
let server: KmsServer

async function curl(as: TestCert | null, method: string, path: string, body?: string): Promise<{ code: number; out: string; exit: number }> {
  const args = ['-sS', '--max-time', '10', '--cacert', pki.ca.certFile, '-X', method, '-w', '\n%{http_code}']
  if (as !== null) args.push('--cert', as.certFile, '--key', as.keyFile)
  if (body !== undefined) args.push('-H', 'Content-Type: application/json', '--data-binary', body)
  args.push(server.url.replace('127.0.0.1', 'localhost') + path)
  try {
    const { stdout } = await run('curl', args)
    const nl = stdout.lastIndexOf('\n')
    return { out: stdout.slice(0, nl), code: Number(stdout.slice(nl + 1)), exit: 0 }
  } catch (err) {
    return { out: '', code: 0, exit: (err as { code: number }).code }
  }
}

const start = async () => {
  server = await startKmsServer(loadConfigFile(join(dir, 'config.yml')), { log: silentLogger(), probeMs: 0 })
}

beforeAll(async () => {
  pki = await testPki()
  dir = mkdtempSync(join(tmpdir(), 'keyhold-curl-'))
  writeFileSync(join(dir, 'config.yml'), `address: 127.0.0.1:0
admin:
  identity: ${pki.clients.admin.identity}
tls:
  key: ${pki.server.keyFile}
  cert: ${pki.server.certFile}
policy:
  minio:
    allow: [/v1/key/create/*, /v1/key/generate/*, /v1/key/decrypt/*, /v1/key/list/*, /v1/status]
    identities: [${pki.clients.app.identity}]
keys:
  - name: startup-key
keystore:
  fs:
    path: keys
`)
  await start()
})
afterAll(() => server?.close())

it('serves the curl walk-through and keeps keys across a restart', async () => {
  expect(await curl(pki.clients.admin, 'POST', '/v1/key/create/my-key')).toMatchObject({ code: 200, out: '' })
  expect(statSync(join(dir, 'keys', 'my-key')).mode & 0o777).toBe(0o600)
  expect(statSync(join(dir, 'keys', 'startup-key')).isFile()).toBe(true)

  const ctx = Buffer.from('{"bucket":"b/o"}').toString('base64')
  const gen = await curl(pki.clients.app, 'POST', '/v1/key/generate/my-key', JSON.stringify({ context: ctx }))
  expect(gen.code).toBe(200)
  const dek = JSON.parse(gen.out) as { plaintext: string; ciphertext: string }
  const dec = await curl(pki.clients.app, 'POST', '/v1/key/decrypt/my-key', JSON.stringify({ ciphertext: dek.ciphertext, context: ctx }))
  expect([dec.code, JSON.parse(dec.out)]).toEqual([200, { plaintext: dek.plaintext }])

  const denied = await curl(pki.clients.app, 'DELETE', '/v1/key/delete/my-key')
  expect([denied.code, denied.out]).toEqual([403, '{"message":"not authorized: insufficient permissions"}'])
  const list = await curl(pki.clients.app, 'GET', '/v1/key/list/*')
  expect(JSON.parse(list.out)).toEqual({ names: ['my-key', 'startup-key'] })

  await server.close()
  await start()
  const again = await curl(pki.clients.app, 'POST', '/v1/key/decrypt/my-key', JSON.stringify({ ciphertext: dek.ciphertext, context: ctx }))
  expect(JSON.parse(again.out)).toEqual({ plaintext: dek.plaintext })
})

it('refuses curl without a client certificate at the TLS layer', async () => {
  const r = await curl(null, 'GET', '/version')
  expect(r.exit).not.toBe(0)
})
