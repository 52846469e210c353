/**
 * Key states on a keystore shared by two Keyhold servers (one real etcd member, client TLS, RBAC):
 * a state change on one server holds on the other at once (etcd's watch notifies the side entry),
 * with both caches warm and `cache.expiry.any` at 5 minutes; and a due deletion is purged once,
 * by whichever server runs its purge first.
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEtcdCluster, type EtcdCluster } from '../helpers/etcd.js'
import { startTestServer, type TestServer } from '../helpers/server.js'

let cluster: EtcdCluster
let a: TestServer
let b: TestServer
const purged: string[] = []

beforeAll(async () => {
  cluster = await startEtcdCluster({ size: 1, rbac: true })
  // No fault here: attempts long enough for an RBAC login (bcrypt) on a busy two-core machine. A 500 ms one
  // failed the start-up once, with every attempt timed out while other processes kept both cores busy.
  const config = cluster.config({ timeoutMs: 8_000, attemptTimeoutMs: 2_000 })
  const server = () =>
    startTestServer(
      { keystore: { kind: 'etcd', config }, cache: { anyMs: 5 * 60_000, unusedMs: 5 * 60_000, offlineMs: 0 }, keyDeletion: { waitMs: 4_000 } },
      { keyPurgeIntervalMs: 100, onKeyPurged: (n) => purged.push(n) },
    )
  ;[a, b] = await Promise.all([server(), server()])
}, 30_000)
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()])
  await cluster?.stop()
})

const name = (tag: string) => `${tag}-${randomBytes(4).toString('hex')}`
const as = (s: TestServer, method: string, path: string, body?: object) => s.call(s.pki.clients.admin, method, path, body)
const generate = (s: TestServer, key: string) => as(s, 'PUT', `/v1/key/generate/${key}`, {})

/** Polls `check` for up to `ms`: the watch is fast, but not synchronous with the other server's answer. */
async function soon(check: () => Promise<boolean>, ms = 2_000): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await check()) return true
    await new Promise((r) => setTimeout(r, 25))
  }
  return false
}

describe('key states on a shared etcd keystore', () => {
  it('a disable, schedule or restore on one server holds on the other within moments, not cache.expiry.any', async () => {
    const k = name('st')
    expect((await as(a, 'POST', `/v1/key/create/${k}`)).status).toBe(200)
    expect((await generate(b, k)).status).toBe(200) // b caches the key and its (enabled) state
    expect((await as(a, 'PUT', `/v1/key/disable/${k}`)).status).toBe(200)
    expect(await soon(async () => (await generate(b, k)).status === 409)).toBe(true)
    expect((await as(b, 'PUT', `/v1/key/enable/${k}`)).status).toBe(200)
    expect(await soon(async () => (await generate(a, k)).status === 200)).toBe(true)
    expect((await as(a, 'DELETE', `/v1/key/delete/${k}`)).status).toBe(200)
    expect(await soon(async () => (await generate(b, k)).status === 404)).toBe(true)
    expect((await as(b, 'PUT', `/v1/key/restore/${k}`)).status).toBe(200)
    expect(await soon(async () => (await generate(a, k)).status === 200)).toBe(true)
  }, 30_000)

  it('a due deletion is purged once, and both servers then see the key gone', async () => {
    const k = name('purge')
    expect((await as(a, 'POST', `/v1/key/create/${k}`)).status).toBe(200)
    expect((await as(b, 'DELETE', `/v1/key/delete/${k}`)).status).toBe(200)
    expect(await soon(async () => purged.includes(k), 15_000)).toBe(true)
    await new Promise((r) => setTimeout(r, 500))
    expect(purged.filter((n) => n === k)).toEqual([k])
    for (const s of [a, b]) expect((await as(s, 'GET', `/v1/key/state/${k}`)).status).toBe(404)
    expect((await as(b, 'POST', `/v1/key/create/${k}`)).status).toBe(200)
  }, 30_000)
})
