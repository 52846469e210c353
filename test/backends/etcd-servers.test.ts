/**
 * Two Keyhold servers sharing one real 3-member etcd cluster (client TLS, RBAC): a key created on
 * one is used on the other, a delete on one is refused by the other at once, a re-created key is
 * never served from an old copy. Then faults, each bounded: a member killed, the leader killed
 * mid-traffic, a member wiped and re-joined, a majority killed (cached keys keep working under
 * `cache.expiry.offline`, and everything recovers without restarting Keyhold).
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EtcdKeyStore } from '../../backends/etcd/store.js'
import { startEtcdCluster, type EtcdCluster } from '../helpers/etcd.js'
import { startTestServer, type TestServer } from '../helpers/server.js'

let cluster: EtcdCluster
let a: TestServer
let b: TestServer
const b64 = (s: string): string => Buffer.from(s).toString('base64')

beforeAll(async () => {
  cluster = await startEtcdCluster({ size: 3, rbac: true })
  // Short deadlines keep the fault tests bounded: a call gives up after 3 s, an attempt after 0.5 s.
  const config = cluster.config({ timeoutMs: 3_000, attemptTimeoutMs: 500 })
  const server = () => startTestServer({
    keystore: { kind: 'etcd', config },
    cache: { anyMs: 5 * 60_000, unusedMs: 5 * 60_000, offlineMs: 5 * 60_000 },
  })
  ;[a, b] = await Promise.all([server(), server()])
}, 30_000)
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()])
  await cluster?.stop()
})

const name = (tag: string) => `${tag}-${randomBytes(4).toString('hex')}`
const create = (s: TestServer, key: string) => s.call(s.pki.clients.admin, 'POST', `/v1/key/create/${key}`)
const del = (s: TestServer, key: string) => s.call(s.pki.clients.admin, 'DELETE', `/v1/key/delete/${key}`)
const generate = (s: TestServer, key: string) => s.call(s.pki.clients.admin, 'POST', `/v1/key/generate/${key}`, { context: '' })
const rotate = (s: TestServer, key: string) => s.call(s.pki.clients.admin, 'PUT', `/v1/key/rotate/${key}`)
const decrypt = (s: TestServer, key: string, ciphertext: string) =>
  s.call(s.pki.clients.admin, 'POST', `/v1/key/decrypt/${key}`, { ciphertext, context: '' })

/** Generates on `from` and decrypts on `to`: proves both use the same key. */
async function sameKey(from: TestServer, to: TestServer, key: string): Promise<void> {
  const gen = await generate(from, key)
  expect(gen.status, gen.text).toBe(200)
  const { plaintext, ciphertext } = gen.json as { plaintext: string; ciphertext: string }
  const dec = await decrypt(to, key, ciphertext)
  expect(dec.status, dec.text).toBe(200)
  expect((dec.json as { plaintext: string }).plaintext).toBe(plaintext)
}

describe('two Keyhold servers on one etcd cluster', () => {
  it('create on A, generate on B, decrypt on A', async () => {
    const key = name('shared')
    expect((await create(a, key)).status).toBe(200)
    await sameKey(b, a, key)
    expect((await create(b, key)).json).toEqual({ message: 'key already exists' })
  })

  it('delete on A: B, which has the key cached, refuses at once', async () => {
    for (let i = 0; i < 5; i++) {
      const key = name('deleted')
      await create(a, key)
      await sameKey(b, a, key) // B has it cached now
      expect((await del(a, key)).status).toBe(200)
      const gen = await generate(b, key)
      expect(gen.status, `round ${i}`).toBe(404)
      expect(gen.json).toEqual({ message: 'key does not exist' })
    }
  })

  it('delete and re-create on A: B never serves the old key', async () => {
    const key = name('recreated')
    await create(a, key)
    for (let i = 0; i < 5; i++) {
      const old = (await generate(b, key)).json as { ciphertext: string }
      await del(a, key)
      await create(a, key)
      await sameKey(b, a, key) // B's new data key decrypts with A's new key
      expect((await decrypt(b, key, old.ciphertext)).status, `round ${i}`).toBe(400) // the old key is gone everywhere
    }
  })
})

describe('a deletion on one server racing rotations on the other', () => {
  it('stays a deletion: the key never comes back, no entry of it is left, its ciphertexts never open', async () => {
    // Each server lets rotations and deletions of a key take turns only within itself: across servers,
    // etcd's conditional replace is what keeps a rotation from re-creating a key deleted meanwhile.
    const store = await EtcdKeyStore.connect(cluster.config({ timeoutMs: 3_000, attemptTimeoutMs: 500 }))
    const problems: string[] = []
    try {
      for (let round = 0; round < 16; round++) {
        const key = name('rotdel')
        expect((await create(a, key)).status).toBe(200)
        if (round % 2 === 1) await rotate(a, key) // half of the rounds start from a rotated key
        const sealed = (await generate(a, key)).json as { ciphertext: string }
        const rotations = Array.from({ length: 1 + (round % 3) }, (_, i) => rotate(i % 2 === 0 ? b : a, key))
        const [deleted, ...rotated] = await Promise.all([del(a, key), ...rotations])
        if (deleted!.status !== 200) problems.push(`${key}: deletion ${deleted!.status} ${deleted!.text}`)
        for (const r of rotated) if (![200, 404, 409].includes(r.status)) problems.push(`${key}: rotation ${r.status} ${r.text}`)
        for (const s of [a, b]) {
          if ((await s.call(s.pki.clients.admin, 'GET', `/v1/key/describe/${key}`)).status !== 404) problems.push(`${key}: back`)
          if ((await decrypt(s, key, sealed.ciphertext)).status === 200) problems.push(`${key}: old ciphertext opens`)
        }
        const left = (await store.list(key, 0, AbortSignal.timeout(5_000))).names
        if (left.length > 0) problems.push(`${key}: stored ${left.join(', ')}`)
      }
    } finally {
      await store.close()
    }
    expect(problems).toEqual([])
  }, 60_000)
})

/** Sends `count` requests that each need etcd (a create, a first generate on B, a delete). */
async function traffic(count: number): Promise<{ at: number; ok: boolean; detail: string }[]> {
  const out: { at: number; ok: boolean; detail: string }[] = []
  for (let i = 0; i < count; i++) {
    const key = name('t')
    for (const step of [() => create(a, key), () => generate(b, key), () => del(b, key)]) {
      const res = await step()
      out.push({ at: Date.now(), ok: res.status === 200, detail: `${res.status} ${res.text}` })
    }
  }
  return out
}

describe('faults', () => {
  it('one member killed: every request still succeeds', async () => {
    await cluster.kill(0) // the first endpoint: where both servers' calls and watches start
    try {
      const results = await traffic(10)
      expect(results.filter((r) => !r.ok)).toEqual([])
      const key = name('after-kill')
      await create(a, key)
      await sameKey(b, a, key)
      await del(b, key)
      expect((await generate(a, key)).status).toBe(404)
    } finally {
      await cluster.restart(0)
    }
  }, 20_000)

  it('the leader killed mid-traffic: requests fail at most during the election, then succeed', async () => {
    const leader = await cluster.leader()
    const running = traffic(25)
    await new Promise((r) => setTimeout(r, 150))
    const killedAt = Date.now()
    await cluster.kill(leader)
    const results = await running
    const failed = results.filter((r) => !r.ok)
    for (const f of failed) expect(f.at - killedAt, f.detail).toBeLessThan(3_000)
    expect(results.slice(-6).every((r) => r.ok)).toBe(true)
    await cluster.restart(leader)
  }, 30_000)

  it('a member wiped and re-joined catches up and serves', async () => {
    const key = name('before-wipe')
    await create(a, key)
    await cluster.wipeAndRejoin(2)
    // Read on the re-joined member alone (serializable: its own copy, not the leader's).
    const deadline = Date.now() + 5_000
    let copy: Record<string, unknown> = {}
    while (Date.now() < deadline) {
      copy = await cluster.admin('/v3/kv/range', { key: b64(`${cluster.config().prefix.split('/')[0]}/`), range_end: b64('keyhold0'), serializable: true, count_only: true }, 2)
      if (Number(copy.count ?? 0) > 0) break
      await new Promise((r) => setTimeout(r, 50))
    }
    expect(Number(copy.count)).toBeGreaterThan(0)
    const results = await traffic(5)
    expect(results.filter((r) => !r.ok)).toEqual([])
    await sameKey(b, a, key)
  }, 30_000)

  it('a majority killed: clear errors, cached keys keep working, everything recovers without a restart', async () => {
    const cached = name('cached')
    await create(a, cached)
    await sameKey(b, a, cached)
    await sameKey(a, b, cached)
    // Each server's etcd watch reports the create too, perhaps only after the kill below (the watch resumes
    // from its revision on a surviving member): that marks the cached copy stale, it must not drop it.
    const leader = await cluster.leader()
    const victims = [leader, (leader + 1) % 3]
    await Promise.all(victims.map((i) => cluster.kill(i)))
    try {
      const started = Date.now()
      const refused = await create(a, name('no-quorum'))
      expect(Date.now() - started).toBeLessThan(6_000)
      expect(refused.status).toBe(502)
      expect(refused.json).toEqual({ message: 'failed to create key' }) // KES's text for any store failure
      const uncached = await generate(b, name('never-created'))
      expect(uncached.status).toBe(502)
      // Cached keys work under cache.expiry.offline, on both servers.
      await sameKey(a, b, cached)
      await sameKey(b, a, cached)
    } finally {
      for (const i of victims) await cluster.restart(i)
    }
    const results = await traffic(5)
    expect(results.filter((r) => !r.ok)).toEqual([])
    // The watches recovered too: a delete on A is refused by B at once.
    await del(a, cached)
    expect((await generate(b, cached)).status).toBe(404)
  }, 40_000)
})
