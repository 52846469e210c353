/**
 * Fault tests through real Keyhold servers backed by the Vault stand-in: Vault sealed, down, slow
 * past the timeout, token expired mid-run, 403 on one path. Keyhold answers with KES's status and
 * message, never hangs, serves cached keys within `offline`, and recovers by itself; no key is
 * lost or changed. Two servers sharing one stand-in serve the same keys.
 */
import { randomBytes } from 'node:crypto'
import { request as httpsRequest } from 'node:https'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createLogger } from '../../../src/kms/observability/logger.js'
import { startTestServer, type TestServer } from '../../helpers/server.js'
import type { VaultStandin } from '../../helpers/vault-standin/standin.js'
import { startStandin, vaultConfig, waitFor } from './setup.js'

let standin: VaultStandin
let a: TestServer
let b: TestServer
/** What the servers' error loggers wrote (the Vault keystore logs through them). */
const logLines: string[] = []

/** Starts a Keyhold server on the stand-in (KV v2, fast health pings, 1 s Vault timeout). */
async function keyhold(): Promise<TestServer> {
  const config = await vaultConfig(standin, { engine: 'kv2', version: 'v2', pingMs: 100, timeoutMs: 1_000, retries: 1 })
  return startTestServer(
    { keystore: { kind: 'vault', config }, cache: { anyMs: 60_000, unusedMs: 60_000, offlineMs: 60_000 } },
    { log: createLogger('warn', { write: (line: string) => void logLines.push(line) }), probeMs: 100 },
  )
}

beforeAll(async () => {
  standin = await startStandin()
  ;[a, b] = await Promise.all([keyhold(), keyhold()])
})
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()])
  await standin?.close()
})

const admin = () => a.pki.clients.admin

async function timed<T>(p: Promise<T>): Promise<[T, number]> {
  const start = Date.now()
  const r = await p
  return [r, Date.now() - start]
}

/** Creates `name` on `server` and returns a data key generated with it. */
async function createWithDataKey(server: TestServer, name: string): Promise<{ plaintext: string; ciphertext: string }> {
  expect((await server.call(admin(), 'POST', `/v1/key/create/${name}`)).status).toBe(200)
  const gen = await server.call(admin(), 'POST', `/v1/key/generate/${name}`, {})
  expect(gen.status).toBe(200)
  return gen.json as { plaintext: string; ciphertext: string }
}

async function decrypt(server: TestServer, name: string, ciphertext: string) {
  return server.call(admin(), 'POST', `/v1/key/decrypt/${name}`, { ciphertext })
}

const ready = async (server: TestServer) => (await server.call(admin(), 'GET', '/v1/ready')).status

describe('two Keyhold servers sharing one Vault', () => {
  it('serve the same keys: a key created on one decrypts on the other', async () => {
    const dk = await createWithDataKey(a, 'shared')
    const res = await decrypt(b, 'shared', dk.ciphertext)
    expect(res.status).toBe(200)
    expect((res.json as { plaintext: string }).plaintext).toBe(dk.plaintext)
    const onB = await b.call(admin(), 'POST', '/v1/key/create/shared')
    expect(onB.status).toBe(400)
    expect(onB.json).toEqual({ message: 'key already exists' })
  })
})

describe('KES compatibility of the stored keys', () => {
  it('uses a key KES wrote (legacy JSON form) and stores new keys as base64 text, one field named after the key', async () => {
    const mount = standin.mount('kv2')!
    if (mount.type !== 'kv' || mount.version !== 2) throw new Error('kv v2 expected')
    const legacy = JSON.stringify({ bytes: randomBytes(32).toString('base64'), algorithm: 'AES256', created_at: '2023-01-02T03:04:05Z', created_by: '' })
    mount.secrets.set('keyhold/from-kes', { current: 1, versions: new Map([[1, { data: { 'from-kes': legacy }, createdTime: '', deletionTime: '', destroyed: false }]]) })
    const gen = await a.call(admin(), 'POST', '/v1/key/generate/from-kes', {})
    expect(gen.status).toBe(200)
    const { plaintext, ciphertext } = gen.json as { plaintext: string; ciphertext: string }
    const back = await decrypt(b, 'from-kes', ciphertext)
    expect((back.json as { plaintext: string }).plaintext).toBe(plaintext)

    expect((await a.call(admin(), 'POST', '/v1/key/create/fresh')).status).toBe(200)
    const data = mount.secrets.get('keyhold/fresh')!.versions.get(1)!.data!
    expect(Object.keys(data)).toEqual(['fresh'])
    expect(data.fresh).toMatch(/^[A-Za-z0-9+/]+=*$/) // base64(protobuf), as KES writes it
  })
})

describe('stored keys that are not keys', () => {
  it("refuses a stored key with a 2 MiB created_by: KES's 502, not a megabyte describe answer", async () => {
    const mount = standin.mount('kv2')!
    if (mount.type !== 'kv' || mount.version !== 2) throw new Error('kv v2 expected')
    const bytes = randomBytes(32).toString('base64')
    const huge = JSON.stringify({ bytes, algorithm: 'AES256', created_at: '2023-01-02T03:04:05Z', created_by: 'X'.repeat(2 << 20) })
    mount.secrets.set('keyhold/huge-creator', { current: 1, versions: new Map([[1, { data: { 'huge-creator': huge }, createdTime: '', deletionTime: '', destroyed: false }]]) })
    const res = await a.call(admin(), 'GET', '/v1/key/describe/huge-creator')
    expect([res.status, res.json]).toEqual([502, { message: 'failed to read key' }])
    const gen = await a.call(admin(), 'POST', '/v1/key/generate/huge-creator', {})
    expect([gen.status, gen.json]).toEqual([502, { message: 'failed to read key' }])
    expect(logLines.join('')).not.toContain(bytes)
  })
})

describe('Vault faults', () => {
  // Each fault starts from a healthy pair: a previous fault may leave either server's health gate closed for
  // a ping interval or two (fast failure without asking Vault is the design), which on a loaded machine can
  // outlast that test's own 'ready again' wait on server a.
  beforeEach(async () => {
    await waitFor(async () => (await ready(a)) === 200 && (await ready(b)) === 200, 10_000, 'both servers ready')
  })

  it('sealed: ready says unreachable, cached keys keep serving, the rest fails fast, then recovers', async () => {
    const hot = await createWithDataKey(a, 'sealed-hot')
    const cold = await createWithDataKey(b, 'sealed-cold') // never loaded on a
    standin.seal()
    await waitFor(async () => (await ready(a)) === 504, 3_000, 'ready 504')
    const r = await a.call(admin(), 'GET', '/v1/ready')
    expect(r.json).toEqual({ message: 'key store is not reachable' })
    const [hit, ms] = await timed(decrypt(a, 'sealed-hot', hot.ciphertext))
    expect(hit.status).toBe(200)
    expect((hit.json as { plaintext: string }).plaintext).toBe(hot.plaintext)
    expect(ms).toBeLessThan(2_500)
    const [miss, ms2] = await timed(decrypt(a, 'sealed-cold', cold.ciphertext))
    expect([miss.status, miss.json]).toEqual([502, { message: 'failed to read key' }])
    expect(ms2).toBeLessThan(2_500)
    const create = await a.call(admin(), 'POST', '/v1/key/create/while-sealed')
    expect(create.status).toBe(502)
    expect(create.json).toEqual({ message: 'failed to create key' })
    standin.unseal()
    await waitFor(async () => (await ready(a)) === 200, 3_000, 'ready again')
    const after = await decrypt(a, 'sealed-cold', cold.ciphertext)
    expect(after.status).toBe(200)
    expect((after.json as { plaintext: string }).plaintext).toBe(cold.plaintext)
  })

  it('down: the same answers without hanging, and recovery when Vault is back', async () => {
    const hot = await createWithDataKey(a, 'down-hot')
    const cold = await createWithDataKey(b, 'down-cold')
    await standin.close()
    try {
      await waitFor(async () => (await ready(a)) === 504, 3_000, 'ready 504')
      expect((await decrypt(a, 'down-hot', hot.ciphertext)).status).toBe(200)
      const [miss, ms] = await timed(decrypt(a, 'down-cold', cold.ciphertext))
      expect([miss.status, miss.json]).toEqual([502, { message: 'failed to read key' }])
      expect(ms).toBeLessThan(5_000)
      const [list, ms2] = await timed(a.call(admin(), 'GET', '/v1/key/list/*'))
      expect([list.status, list.json]).toEqual([502, { message: 'failed to list keys' }])
      expect(ms2).toBeLessThan(5_000)
    } finally {
      await standin.restart()
    }
    await waitFor(async () => (await ready(a)) === 200, 3_000, 'ready again')
    expect((await decrypt(a, 'down-cold', cold.ciphertext)).status).toBe(200)
  })

  it('slow past the timeout: answers within bounds, cached keys serve, recovers when fast again', async () => {
    const hot = await createWithDataKey(a, 'slow-hot')
    const cold = await createWithDataKey(b, 'slow-cold')
    standin.faults.latencyMs = 10_000
    try {
      // Bounded by the 1 s Vault timeout (x2 attempts), far below the stand-in's 10 s latency.
      const [r, ms] = await timed(a.call(admin(), 'GET', '/v1/ready'))
      expect(r.status).toBe(504)
      expect(ms).toBeLessThan(5_000)
      expect((await decrypt(a, 'slow-hot', hot.ciphertext)).status).toBe(200)
      const [miss, ms2] = await timed(decrypt(a, 'slow-cold', cold.ciphertext))
      expect([miss.status, miss.json]).toEqual([502, { message: 'failed to read key' }])
      expect(ms2).toBeLessThan(5_000)
    } finally {
      standin.faults.latencyMs = 0
    }
    await waitFor(async () => (await ready(a)) === 200, 3_000, 'ready again')
    expect((await decrypt(a, 'slow-cold', cold.ciphertext)).status).toBe(200)
  })

  it('token expired mid-run: Keyhold logs in again and the request succeeds', async () => {
    standin.expireTokens()
    const dk = await createWithDataKey(a, 'after-expiry')
    expect((await decrypt(b, 'after-expiry', dk.ciphertext)).status).toBe(200)
  })

  it('403 on one path: that key fails with KES 502 text, others work, the log names the path not the token', async () => {
    await createWithDataKey(b, 'forbidden')
    await createWithDataKey(b, 'allowed')
    standin.deny('kv2/data/keyhold/forbidden')
    try {
      const res = await a.call(admin(), 'GET', '/v1/key/describe/forbidden')
      expect(res.status).toBe(502)
      expect(res.json).toEqual({ message: 'failed to read key' })
      expect((await a.call(admin(), 'GET', '/v1/key/describe/allowed')).status).toBe(200)
      expect(await ready(a)).toBe(200)
      const logged = logLines.join('')
      expect(logged).toContain('"path":"/v1/kv2/data/keyhold/forbidden"')
      expect(logged).toContain('permission denied')
      for (const token of standin.tokens.issued.keys()) expect(logged).not.toContain(token)
    } finally {
      standin.allow('kv2/data/keyhold/forbidden')
    }
  })

  it('lost or changed no key through all of it', async () => {
    const list = await a.call(admin(), 'GET', '/v1/key/list/*')
    expect(list.status).toBe(200)
    const mount = standin.mount('kv2')!
    if (mount.type !== 'kv' || mount.version !== 2) throw new Error('kv v2 expected')
    for (const [path, secret] of mount.secrets) {
      expect(secret.current, path).toBe(1) // written once, never overwritten
    }
    expect(mount.secrets.has('keyhold/while-sealed')).toBe(false)
  })
})

describe('Vault slower than the API deadline, with KES default timings (15 s per attempt, 2 retries)', () => {
  let slow: VaultStandin
  let server: TestServer
  beforeAll(async () => {
    slow = await startStandin()
    // No health pings during the test: the gate must not close and turn the slowness into a fast failure.
    const config = await vaultConfig(slow, { pingMs: 60_000, timeoutMs: 15_000, retries: 2, retryDelayMs: 1_000 })
    server = await startTestServer({ keystore: { kind: 'vault', config } }, { probeMs: 0 })
  })
  afterAll(async () => {
    await server?.close()
    await slow?.close()
  })

  /** GET `path` as admin, waiting up to 30 s (the test helper's client gives up after 10 s). */
  const get = (path: string) =>
    new Promise<{ status: number; json: unknown }>((resolve, reject) => {
      const u = new URL(server.url)
      const { certPem: cert, keyPem: key } = server.pki.clients.admin
      const req = httpsRequest({ host: u.hostname, port: u.port, path, servername: 'localhost', ca: server.pki.ca.certPem, cert, key, agent: false }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null') }))
        res.on('error', reject)
      })
      req.on('error', reject)
      req.setTimeout(30_000, () => req.destroy(new Error('no answer within 30 s')))
      req.end()
    })

  it("a hanging Vault: describe and list get KES's 502 before the route's 15 s deadline cuts the connection", async () => {
    slow.faults.latencyMs = 30_000
    try {
      const [[describe, ms], [list, ms2]] = await Promise.all([
        timed(get('/v1/key/describe/hanging')),
        timed(get('/v1/key/list/*')),
      ])
      expect([describe.status, describe.json]).toEqual([502, { message: 'failed to read key' }])
      expect([list.status, list.json]).toEqual([502, { message: 'failed to list keys' }])
      expect(Math.max(ms, ms2)).toBeLessThan(15_000)
    } finally {
      slow.faults.latencyMs = 0
    }
  }, 30_000)

  it("a Vault answering 429 with Retry-After: 15: KES's 502 before the route's deadline", async () => {
    slow.failNext(10, 429, 'kv/', '15')
    try {
      const [res, ms] = await timed(get('/v1/key/describe/limited'))
      expect([res.status, res.json]).toEqual([502, { message: 'failed to read key' }])
      expect(ms).toBeLessThan(15_000)
    } finally {
      slow.failNext(0)
    }
  }, 30_000)
})
