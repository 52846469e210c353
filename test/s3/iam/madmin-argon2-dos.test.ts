/**
 * The madmin Argon2id denial of service: a user whose only right is self-service (readonly policy) must not be
 * able to stall the event loop or blow up memory through the 64 MiB Argon2id of madmin's encryption, neither
 * with encrypted answers nor with Argon2id-encrypted request bodies (which mc and madmin-go send, and which
 * must keep working). The server runs in this process, so the event loop probed is the server's and
 * /proc/self/status is its memory.
 */
import { readFileSync } from 'node:fs'
import { Agent, request } from 'node:https'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ARGON2_MAX_IN_FLIGHT, ARGON2_MAX_WAITING, deriveArgon2id } from '../../../src/s3/admin/argon2-pool.js'
import {
  decryptMadminData, encryptMadminData, MADMIN_ARGON2ID_AES, MADMIN_ARGON2ID_CHACHA, MADMIN_PBKDF2_AES,
} from '../../../src/s3/admin/madmin-crypto.js'
import { adminCall, ROOT, startIamServer, type AdminAnswer, type IamServer } from './helpers.js'

const MALLORY = { accessKey: 'mallory', secretKey: 'mallory-secret-1' }
const CONCURRENT = 16
/**
 * Health probes during a flood: one Argon2id on the event loop takes ~300 ms, and before the fix nearly every
 * probe waited for one or more (median and p90 300-400 ms, the slowest up to seconds). The median is the
 * measure: a flood that ends within a second leaves few probes, and on a 2-core machine loaded by other tests
 * (load average 11) one descheduling took the 90th percentile of eight probes to 260 ms with the fix in place.
 */
const PROBE_MEDIAN_MS = 150
const PROBE_MAX_MS = 1000

let srv: IamServer
beforeAll(async () => {
  srv = await startIamServer()
  const add = await adminCall(srv, ROOT, { method: 'PUT', path: '/add-user', query: [['accessKey', MALLORY.accessKey]], enc: { secretKey: MALLORY.secretKey, status: 'enabled' } })
  expect(add.status).toBe(200)
  const attach = await adminCall(srv, ROOT, { method: 'PUT', path: '/set-user-or-group-policy', query: [['policyName', 'readonly'], ['userOrGroup', MALLORY.accessKey], ['isGroup', 'false']] })
  expect(attach.status).toBe(200)
})
afterAll(async () => srv?.close())

const rssMiB = (): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024

/** health times one GET /minio/health/live (kept-alive connection: the event loop's delay, not a handshake). */
function health(agent: Agent): Promise<number> {
  const url = new URL(srv.url)
  const t0 = performance.now()
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: '/minio/health/live', agent }, (res) => {
      res.resume()
      res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - t0) : reject(new Error(`health ${res.statusCode}`))))
    })
    req.on('error', reject)
    req.end()
  })
}

/**
 * underLoad runs `load` while probing health every 10 ms and sampling this process's RSS; returns the load's
 * result, the slowest probe and the RSS growth at its peak.
 */
async function underLoad<T>(load: () => Promise<T>): Promise<{ result: T; probes: Probes; rssGrowthMiB: number }> {
  const agent = new Agent({ ca: srv.ca, keepAlive: true, maxSockets: 1 })
  await health(agent) // connect before measuring
  const before = rssMiB()
  let peak = before
  const sampler = setInterval(() => { peak = Math.max(peak, rssMiB()) }, 10)
  const probes: number[] = []
  let stop = false
  const prober = (async () => {
    while (!stop) {
      probes.push(await health(agent))
      await new Promise((r) => setTimeout(r, 10))
    }
  })()
  try {
    const result = await load()
    const sorted = [...probes].sort((a, b) => a - b)
    const median = sorted[Math.floor(sorted.length / 2)]!
    return { result, probes: { median, max: sorted[sorted.length - 1]!, all: sorted }, rssGrowthMiB: Math.max(peak, rssMiB()) - before }
  } finally {
    stop = true
    await prober
    clearInterval(sampler)
    agent.destroy()
  }
}

interface Probes { median: number; max: number; all: number[] }

/** expectResponsive checks the probes, naming them all when it fails. */
function expectResponsive(p: Probes): void {
  const seen = `probes (ms): ${p.all.map((x) => x.toFixed(0)).join(', ')}`
  expect(p.median, seen).toBeLessThan(PROBE_MEDIAN_MS)
  expect(p.max, seen).toBeLessThan(PROBE_MAX_MS)
}

const errOf = (a: AdminAnswer): unknown => ({ status: a.status, ...(a.json as object) })

describe('madmin Argon2id is no denial of service', () => {
  it(`answers ${CONCURRENT} concurrent self-service calls of a readonly user without stalling or growing`, async () => {
    const calls = () => Promise.all(Array.from({ length: CONCURRENT }, () => adminCall(srv, MALLORY, { method: 'GET', path: '/list-service-accounts' })))
    // Several rounds: enough probes that one descheduling of a loaded machine is not the median.
    const rounds = 4
    const { result, probes, rssGrowthMiB } = await underLoad(async () => {
      const answers: AdminAnswer[] = []
      for (let i = 0; i < rounds; i++) answers.push(...await calls())
      return answers
    })
    expect(result.map((a) => a.status)).toEqual(Array(rounds * CONCURRENT).fill(200))
    // Before: a 64 MiB Argon2id per answer on the event loop, ~300 ms each, ~60 MiB more memory per call in flight.
    expectResponsive(probes)
    expect(rssGrowthMiB, 'RSS growth (MiB)').toBeLessThan(150)
    // Answers are PBKDF2 + AES-GCM (id 2), which madmin-go and mc decrypt as they do Argon2id ones.
    expect(result.every((a) => a.body[32] === MADMIN_PBKDF2_AES)).toBe(true)
    expect(JSON.parse((await decryptMadminData(MALLORY.secretKey, result[0]!.body)).toString())).toEqual({ accounts: [] })
  }, 90_000)

  it(`derives the keys of ${CONCURRENT} concurrent Argon2id-encrypted bodies off the event loop, in bounded memory`, async () => {
    // One ciphertext for all: madmin bodies carry no replay protection, and it spares this process the derivations.
    const body = await encryptMadminData(MALLORY.secretKey, Buffer.from('{}'), MADMIN_ARGON2ID_AES)
    const { result, probes, rssGrowthMiB } = await underLoad(() => Promise.all(Array.from({ length: CONCURRENT }, () =>
      adminCall(srv, MALLORY, { method: 'PUT', path: '/add-service-account', plain: body }))))
    expect(result.map((a) => a.status)).toEqual(Array(CONCURRENT).fill(200))
    expectResponsive(probes)
    // ARGON2_MAX_IN_FLIGHT derivations of 64 MiB at most, and the worker (before: 64 MiB per request in flight).
    expect(rssGrowthMiB, 'RSS growth (MiB)').toBeLessThan(250)
  }, 60_000)

  it('accepts bodies encrypted with Argon2id + AES-GCM and Argon2id + ChaCha20-Poly1305, as mc sends them', async () => {
    for (const alg of [MADMIN_ARGON2ID_AES, MADMIN_ARGON2ID_CHACHA]) {
      const body = await encryptMadminData(MALLORY.secretKey, Buffer.from(JSON.stringify({ name: `alg-${alg}` })), alg)
      const made = await adminCall(srv, MALLORY, { method: 'PUT', path: '/add-service-account', plain: body, decrypt: true })
      expect(made.status).toBe(200)
      const key = (made.json as { credentials: { accessKey: string } }).credentials.accessKey
      const info = await adminCall(srv, MALLORY, { method: 'GET', path: '/info-service-account', query: [['accessKey', key]], decrypt: true })
      expect(info.json).toMatchObject({ parentUser: MALLORY.accessKey, name: `alg-${alg}` })
    }
    // A body that does not decrypt is answered as before.
    const foreign = await encryptMadminData('not-mallorys-secret', Buffer.from('{}'), MADMIN_ARGON2ID_AES)
    expect(errOf(await adminCall(srv, MALLORY, { method: 'PUT', path: '/add-service-account', plain: foreign }))).toEqual({
      status: 400, Code: 'XMinioAdminConfigBadJSON', Message: 'The request body could not be decrypted with your secret key.',
      Resource: '/minio/admin/v3/add-service-account', RequestId: expect.any(String), HostId: '',
    })
  }, 30_000)

  it('answers 503 SlowDown beyond the bounded Argon2id queue instead of queueing without bound', async () => {
    // Under a secret that is not mallory's: every accepted body costs a derivation, then a 400, and creates nothing.
    const body = await encryptMadminData('not-mallorys-secret', Buffer.from('{}'), MADMIN_ARGON2ID_AES)
    const flood = 40
    const answers = await Promise.all(Array.from({ length: flood }, () =>
      adminCall(srv, MALLORY, { method: 'PUT', path: '/add-service-account', plain: body })))
    const slow = answers.filter((a) => a.status === 503)
    const derived = answers.filter((a) => a.status === 400)
    expect(slow.length + derived.length).toBe(flood)
    expect(slow.length).toBeGreaterThan(0)
    expect(derived.length).toBeGreaterThanOrEqual(ARGON2_MAX_IN_FLIGHT + ARGON2_MAX_WAITING)
    expect(errOf(slow[0]!)).toEqual({
      status: 503, Code: 'SlowDown', Message: 'Please reduce your request rate.',
      Resource: '/minio/admin/v3/add-service-account', RequestId: expect.any(String), HostId: '',
    })
    // The queue drains: the next Argon2id body is served.
    const good = await encryptMadminData(MALLORY.secretKey, Buffer.from('{}'), MADMIN_ARGON2ID_AES)
    expect((await adminCall(srv, MALLORY, { method: 'PUT', path: '/add-service-account', plain: good })).status).toBe(200)
  }, 60_000)
})

describe('madmin answers with an Argon2id responseAlgorithm', () => {
  let argonSrv: IamServer
  beforeAll(async () => {
    argonSrv = await startIamServer({ responseAlgorithm: MADMIN_ARGON2ID_AES })
  })
  afterAll(async () => argonSrv?.close())

  it('encrypt with Argon2id while the worker has room and fall back to PBKDF2 rather than fail when it has none', async () => {
    const list = () => adminCall(argonSrv, ROOT, { method: 'GET', path: '/list-service-accounts' })
    const roomy = await list()
    expect(roomy.status).toBe(200)
    expect(roomy.body[32]).toBe(MADMIN_ARGON2ID_AES)
    expect(JSON.parse((await decryptMadminData(ROOT.secretKey, roomy.body)).toString())).toHaveProperty('accounts')
    // The pool is this process's: fill it, then the answer must not wait for it nor fail.
    const fill = Array.from({ length: ARGON2_MAX_IN_FLIGHT + ARGON2_MAX_WAITING }, (_, i) => deriveArgon2id(Buffer.from('x'), Buffer.alloc(32, i)))
    try {
      const busy = await list()
      expect(busy.status).toBe(200)
      expect(busy.body[32]).toBe(MADMIN_PBKDF2_AES)
      expect(JSON.parse((await decryptMadminData(ROOT.secretKey, busy.body)).toString())).toHaveProperty('accounts')
    } finally {
      await Promise.allSettled(fill)
    }
  }, 60_000)
})
