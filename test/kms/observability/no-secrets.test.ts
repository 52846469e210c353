import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { request } from 'node:https'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testPki, type TestCert, type TestPki } from '../../helpers/pki.js'
import { send } from '../../helpers/server.js'
import { spawnServer, type SpawnedServer } from './spawn-server.js'

let pki: TestPki
const servers: SpawnedServer[] = []

beforeAll(async () => {
  pki = await testPki()
})
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()))
})

/** Follows a log stream, collecting its raw text. */
function follow(url: string, path: string): Promise<{ text: () => string; close(): void }> {
  const c = pki.clients.admin
  return new Promise((resolve, reject) => {
    let text = ''
    const req = request(url + path, { ca: pki.ca.certPem, cert: c.certPem, key: c.keyPem, agent: false }, (res) => {
      res.setEncoding('utf8')
      res.on('data', (d: string) => (text += d))
      res.on('error', () => undefined)
      resolve({ text: () => text, close: () => req.destroy() })
    })
    req.on('error', reject)
    req.end()
  })
}

/**
 * A full session: every operation that handles secrets, successful and failing, each secret
 * fresh. Returns every secret involved (inputs and outputs) as raw bytes.
 */
async function session(url: string): Promise<Buffer[]> {
  const { admin, stranger } = pki.clients
  const secrets: Buffer[] = []
  const fresh = (n = 32): Buffer => {
    const b = randomBytes(n)
    secrets.push(b)
    return b
  }
  const call = async (as: TestCert, method: string, path: string, body?: unknown) => send(url, pki, as, method, path, body as object)
  const b64 = (b: Buffer) => b.toString('base64')
  const keep = (s: string) => secrets.push(Buffer.from(s, 'base64'))

  expect((await call(admin, 'PUT', '/v1/key/create/k1')).status).toBe(200)
  const context = fresh(24)
  const dek = await call(admin, 'PUT', '/v1/key/generate/k1', { context: b64(context) })
  expect(dek.status).toBe(200)
  const { plaintext: dataKey, ciphertext: sealedKey } = dek.json as { plaintext: string; ciphertext: string }
  keep(dataKey)
  keep(sealedKey)
  const message = fresh(48)
  const enc = await call(admin, 'PUT', '/v1/key/encrypt/k1', { plaintext: b64(message), context: b64(context) })
  expect(enc.status).toBe(200)
  const { ciphertext } = enc.json as { ciphertext: string }
  keep(ciphertext)
  const dec = await call(admin, 'PUT', '/v1/key/decrypt/k1', { ciphertext, context: b64(context) })
  expect(dec.json).toEqual({ plaintext: b64(message) })
  const imported = fresh()
  expect((await call(admin, 'PUT', '/v1/key/import/k2', { key: b64(imported), cipher: 'AES256' })).status).toBe(200)
  const hmacInput = fresh(40)
  const mac = await call(admin, 'PUT', '/v1/key/hmac/k2', { message: b64(hmacInput) })
  expect(mac.status).toBe(200)
  keep((mac.json as { hmac: string }).hmac)

  // Failures that carry secrets in their requests.
  expect((await call(admin, 'PUT', '/v1/key/decrypt/k1', { ciphertext, context: b64(fresh(8)) })).status).toBe(400)
  expect((await call(admin, 'PUT', '/v1/key/decrypt/k1', { ciphertext: b64(fresh(64)) })).status).toBe(400)
  expect((await call(admin, 'PUT', '/v1/key/import/k3', { key: b64(fresh(16)), cipher: 'AES256' })).status).toBe(406)
  expect((await call(admin, 'PUT', '/v1/key/import/k3', { key: b64(fresh()), cipher: 'ROT13' })).status).toBe(406)
  expect((await call(admin, 'PUT', '/v1/key/import/k2', { key: b64(fresh()), cipher: 'AES256' })).status).toBe(400)
  expect((await call(admin, 'PUT', '/v1/key/encrypt/k1', `{"plaintext":"${b64(fresh())}",`)).status).toBe(400)
  expect((await call(admin, 'PUT', '/v1/key/encrypt/missing', { plaintext: b64(fresh()) })).status).toBe(404)
  expect((await call(admin, 'PUT', '/v1/key/hmac/missing', { message: b64(fresh()) })).status).toBe(404)
  expect((await call(stranger, 'PUT', '/v1/key/decrypt/k1', { ciphertext, context: b64(context) })).status).toBe(403)
  expect((await call(admin, 'PUT', `/v1/key/generate/k1`, { context: b64(fresh()), version: 'x' })).status).toBe(200)
  return secrets
}

/** Every spelling a secret could take in a log: base64, base64url, hex, and a 20-character base64 slice. */
function spellings(secret: Buffer): string[] {
  const b64 = secret.toString('base64')
  return [b64, b64.slice(4, 24), secret.toString('base64url').replace(/=+$/, ''), secret.toString('hex'), secret.toString('hex').toUpperCase()]
}

function expectNoSecrets(name: string, text: string, secrets: Buffer[]): void {
  for (const s of secrets) {
    for (const form of spellings(s)) {
      if (text.includes(form)) throw new Error(`${name} contains a secret (${form})`)
    }
  }
}

describe('no secret reaches any log', () => {
  it('audit to stdout, debug error log: stdout, stderr and both live streams', async () => {
    const server = await spawnServer(pki, 'log:\n  error: debug\n  audit: on\n', ['--workers', '1'])
    servers.push(server)
    const audit = await follow(server.url, '/v1/log/audit')
    const errors = await follow(server.url, '/v1/log/error')
    const secrets = await session(server.url)
    await new Promise((r) => setTimeout(r, 300))
    audit.close()
    errors.close()
    expect(await server.stop()).toBe(0)
    // The logs are not empty: the check below would pass vacuously otherwise.
    expect(server.stdout().split('\n').filter((l) => l.includes('"/v1/key/')).length).toBeGreaterThanOrEqual(16)
    expect(audit.text().split('\n').filter((l) => l.includes('"/v1/key/')).length).toBeGreaterThanOrEqual(16)
    expect(errors.text()).toContain('access denied')
    expect(server.stderr()).toContain('access denied')
    expectNoSecrets('stdout', server.stdout(), secrets)
    expectNoSecrets('stderr', server.stderr(), secrets)
    expectNoSecrets('audit stream', audit.text(), secrets)
    expectNoSecrets('error stream', errors.text(), secrets)
  }, 60_000)

  it('audit file on two workers', async () => {
    const server = await spawnServer(pki, 'log:\n  error: debug\n  audit: ./audit.log\n', ['--workers', '2'])
    servers.push(server)
    const secrets = await session(server.url)
    expect(await server.stop()).toBe(0)
    const file = readFileSync(join(server.dir, 'audit.log'), 'utf8')
    expect(file.split('\n').filter((l) => l.includes('"/v1/key/')).length).toBeGreaterThanOrEqual(16)
    expectNoSecrets('audit file', file, secrets)
    expectNoSecrets('stdout', server.stdout(), secrets)
    expectNoSecrets('stderr', server.stderr(), secrets)
  }, 60_000)
})
