/**
 * The etcd keystore against a real 3-member etcd cluster on loopback, with client-certificate
 * TLS and RBAC (a user whose role covers only `keyhold/`): the contract suite, the stored bytes,
 * listing in pages, RBAC refusals, and the watch (another store's changes, resuming, reset).
 * What only a broken or hostile member does (endless listings, huge error texts) runs against a
 * gateway stand-in (test/helpers/etcd-gateway-standin.ts).
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EtcdKeyStore } from '../../backends/etcd/index.js'
import { KeyNotFoundError, UnreachableError } from '../../src/kms/keystore/keystore.js'
import { startEtcdCluster, type EtcdCluster } from '../helpers/etcd.js'
import { b64 as gatewayKey, startGatewayStandin, type ListRequest } from '../helpers/etcd-gateway-standin.js'
import { startTestServer } from '../helpers/server.js'
import { keystoreContract } from './contract.js'

const signal = (): AbortSignal => AbortSignal.timeout(10_000)
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const b64 = (s: string | Uint8Array): string => Buffer.from(s).toString('base64')

let cluster: EtcdCluster
beforeAll(async () => {
  cluster = await startEtcdCluster({ size: 3, rbac: true })
}, 30_000)
afterAll(async () => {
  await cluster?.stop()
})

keystoreContract('etcd (3 members, TLS, RBAC)', async () => {
  const store = await EtcdKeyStore.connect(cluster.config())
  return { store, cleanup: async () => {} }
}, { replace: true })

/** Waits until `check` holds, for at most `ms`. */
async function until(check: () => boolean, ms = 2_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 5))
  }
}

/**
 * Subscribes to `store`'s watch and returns once the stream runs (a probe key was reported). The
 * changes land in `seen` by name, and with their kind in `changes` when given.
 */
async function watching(store: EtcdKeyStore, seen: string[], onReset?: () => void, changes?: string[]): Promise<void> {
  store.watch((name, change) => {
    seen.push(name)
    changes?.push(`${change} ${name}`)
  }, onReset)
  const probe = `probe-${randomBytes(4).toString('hex')}-`
  for (let i = 0; !seen.includes(`${probe}${i - 1}`); i++) {
    // A write made before the stream is created is not reported: probe until one is.
    await store.create(`${probe}${i}`, bytes('p'), signal())
    if (i > 50) throw new Error('watch did not start')
  }
  seen.length = 0
  if (changes) changes.length = 0
}

/** A config whose first endpoint, where the watch runs, is a follower (freezing it needs no election). */
async function followerFirst(): Promise<{ config: ReturnType<EtcdCluster['config']>; member: number }> {
  const leader = await cluster.leader()
  const member = leader === 0 ? 1 : 0
  const order = [member, ...cluster.members.keys()].filter((i, at, all) => all.indexOf(i) === at)
  return { config: cluster.config({ endpoints: order.map((i) => cluster.members[i]!.clientUrl) }), member }
}

describe('EtcdKeyStore', () => {
  it('stores the value byte for byte at <prefix><name>', async () => {
    const config = cluster.config()
    const store = await EtcdKeyStore.connect(config)
    const value = bytes('CiQKIMiHG7XrN94FuwblJJor4f7f6rbqAl7DwsLaiIoyz0D2EAE=')
    await store.create('my-key', value, signal())
    const got = await cluster.admin('/v3/kv/range', { key: b64(`${config.prefix}my-key`) })
    expect((got.kvs as { value: string }[])[0]!.value).toBe(b64(value))
    expect(store.toString()).toBe(`etcd: ${config.endpoints.join(',')} prefix '${config.prefix}'`)
    await store.close()
  })

  it('lists thousands of names in pages, and skips keys that are not key names', async () => {
    const config = cluster.config()
    const store = await EtcdKeyStore.connect(config)
    const names = Array.from({ length: 1100 }, (_, i) => `k-${String(i).padStart(4, '0')}`)
    // Put them in one transaction (faster than 1100 creates); the contract covers create.
    for (let i = 0; i < names.length; i += 100) {
      await cluster.admin('/v3/kv/txn', { success: names.slice(i, i + 100).map((n) => ({ request_put: { key: b64(config.prefix + n), value: b64(n) } })) })
    }
    await cluster.admin('/v3/kv/put', { key: b64(`${config.prefix}nested/other`), value: b64('x') })
    const all = await store.list('', 0, signal())
    expect(all).toEqual({ names, next: '' })
    expect(await store.list('k-05', 3, signal())).toEqual({ names: ['k-0500', 'k-0501', 'k-0502'], next: 'k-0503' })
    expect(await store.list('', 600, signal())).toEqual({ names: names.slice(0, 600), next: names[600] })
    await store.close()
  })

  it('refuses a wrong password at connect, and a prefix outside the role, with a plain error', async () => {
    const wrong = EtcdKeyStore.connect(cluster.config({ auth: { username: 'keyhold', password: 'wrong' } }))
    await expect(wrong).rejects.toThrow(/etcd login as 'keyhold' refused: .*authentication failed/)
    await expect(wrong).rejects.not.toBeInstanceOf(UnreachableError)
    const outside = await EtcdKeyStore.connect(cluster.config({ prefix: 'other/' })).then(() => undefined, (e: unknown) => e)
    expect(outside).toBeInstanceOf(Error)
    expect(outside).not.toBeInstanceOf(UnreachableError)
    expect((outside as Error).message).toMatch(/permission denied/)
  })

  it('is unreachable, naming the members, when no endpoint answers', async () => {
    const store = EtcdKeyStore.connect(cluster.config({ endpoints: ['https://127.0.0.1:1'], timeoutMs: 500, attemptTimeoutMs: 200 }))
    await expect(store).rejects.toBeInstanceOf(UnreachableError)
    await expect(store).rejects.toThrow(/127\.0\.0\.1:1/)
  })

  it('reports changes made by another store through the watch, and waits for it on its own writes', async () => {
    const config = cluster.config()
    const a = await EtcdKeyStore.connect(config)
    const b = await EtcdKeyStore.connect(config)
    const seen: string[] = []
    const changes: string[] = []
    let resets = 0
    await watching(b, seen, () => resets++, changes)
    // The first stream begins with a reset: what was read before it may have changed unreported.
    expect(resets).toBe(1)
    await a.create('w', bytes('1'), signal())
    await a.delete('w', signal())
    await until(() => seen.length === 2)
    expect(changes).toEqual(['created w', 'deleted w'])
    expect(resets).toBe(1)
    // Its own watch has the delete before delete() returns.
    const own: string[] = []
    await watching(a, own)
    await a.create('warm-a', bytes('0'), signal())
    expect(own).toEqual(['warm-a'])
    await a.delete('warm-a', signal())
    expect(own.filter((n) => n === 'warm-a')).toHaveLength(2)
    await Promise.all([a.close(), b.close()])
  })

  it('resumes its watch on another member after a disconnect, and resets when the revision was compacted', async () => {
    const { config, member } = await followerFirst()
    const other = cluster.members.findIndex((_, i) => i !== member)
    const store = await EtcdKeyStore.connect(config)
    const seen: string[] = []
    let resets = 0
    await watching(store, seen, () => resets++)
    expect(resets).toBe(1) // the first stream's
    await store.create('before', bytes('1'), signal())
    expect(seen).toEqual(['before'])

    // The watch runs on `member`. Freeze it: the stream goes silent while others change keys.
    cluster.members[member]!.process!.kill('SIGSTOP')
    try {
      await cluster.admin('/v3/kv/deleterange', { key: b64(`${config.prefix}before`) }, other)
      const put = await cluster.admin('/v3/kv/put', { key: b64(`${config.prefix}after`), value: b64('2') }, other)
      expect(seen).toEqual(['before'])
      // Compact everything up to now: the frozen watch can no longer resume where it stopped.
      await cluster.admin('/v3/kv/compaction', { revision: (put.header as { revision: string }).revision, physical: true }, other)
    } finally {
      await cluster.kill(member)
    }
    // Reset when the resume is refused, and again once the new stream runs.
    await until(() => resets === 3, 5_000)
    await store.delete('after', signal())
    expect(seen.at(-1)).toBe('after')
    await expect(store.get('before', signal())).rejects.toBeInstanceOf(KeyNotFoundError)
    await cluster.restart(member)
    await store.close()
  }, 20_000)
})

describe('EtcdKeyStore watch resume', () => {
  it('delivers every change made while its member was down, from the next member', async () => {
    const { config, member } = await followerFirst()
    const other = cluster.members.findIndex((_, i) => i !== member)
    const a = await EtcdKeyStore.connect(config)
    const seen: string[] = []
    let resets = 0
    await watching(a, seen, () => resets++)
    cluster.members[member]!.process!.kill('SIGSTOP')
    const names = ['p', 'q', 'r'].map((n) => `${n}-${randomBytes(2).toString('hex')}`)
    try {
      for (const n of names) await cluster.admin('/v3/kv/put', { key: b64(config.prefix + n), value: b64(n) }, other)
      expect(seen).toEqual([])
    } finally {
      await cluster.kill(member)
    }
    await until(() => names.every((n) => seen.includes(n)), 5_000)
    expect(seen).toEqual(names)
    expect(resets).toBe(1) // the first stream's only: the resumed one missed nothing
    await cluster.restart(member)
    await a.close()
  }, 20_000)

  it('resumes with a new login, without a reset, when the members refuse its token', async () => {
    // etcd cancels a watch whose token it does not know (expired, or issued before a restart):
    // that must neither drop every cached key (a reset) nor stall the watch until some other call
    // happens to log in again. Changing the password, to the same one, revokes the user's tokens.
    const { config, member } = await followerFirst()
    const other = cluster.members.findIndex((_, i) => i !== member)
    const store = await EtcdKeyStore.connect({ ...config, endpoints: [member, other].map((i) => cluster.members[i]!.clientUrl) })
    const seen: string[] = []
    let resets = 0
    await watching(store, seen, () => resets++)
    await cluster.admin('/v3/auth/user/changepw', { name: cluster.auth!.username, password: cluster.auth!.password }, other)
    await cluster.kill(member) // the stream moves to `other`, which refuses the old token
    try {
      const key = `after-${randomBytes(2).toString('hex')}`
      await cluster.admin('/v3/kv/put', { key: b64(config.prefix + key), value: b64('v') }, other)
      await until(() => seen.includes(key), 5_000)
      expect(resets).toBe(1) // the first stream's only
    } finally {
      await cluster.restart(member)
      await store.close()
    }
  }, 20_000)
})

describe('EtcdKeyStore watch after a snapshot restore', () => {
  let single: EtcdCluster
  beforeAll(async () => {
    single = await startEtcdCluster({ size: 1, rbac: true })
  }, 30_000)
  afterAll(async () => {
    await single?.stop()
  })

  it('resets when the store went back to an older revision, and reports what changes after', async () => {
    // Resuming after the newest revision it saw would skip the restored store's next changes:
    // they reuse revisions the watch believes it has already seen.
    const config = single.config()
    const store = await EtcdKeyStore.connect(config)
    const seen: string[] = []
    const changes: string[] = []
    let resets = 0
    await watching(store, seen, () => resets++, changes)
    await store.create('kept', bytes('k'), signal())
    const file = await single.snapshot()
    for (let i = 0; i < 5; i++) await store.create(`later-${i}`, bytes('l'), signal())
    // A store without a watch, logged in after the snapshot: etcd holds its token's requests.
    const reader = await EtcdKeyStore.connect({ ...config, attemptTimeoutMs: 500, timeoutMs: 3_000 })
    await single.restoreAll(file)
    expect(new TextDecoder().decode(await reader.get('kept', signal()))).toBe('k')
    // Reset when the resumed stream shows the older revision, and again when the next one runs.
    await until(() => resets >= 3, 10_000)
    await single.admin('/v3/kv/deleterange', { key: b64(`${config.prefix}kept`) })
    await until(() => changes.includes('deleted kept'), 5_000)
    await expect(store.get('later-0', signal())).rejects.toBeInstanceOf(KeyNotFoundError)
    await Promise.all([store.close(), reader.close()])
  }, 40_000)
})

describe('etcd keystore against a hostile gateway (stand-in)', () => {
  /** Names after the one a range request starts at, in key order: a member that always has more. */
  const fresh = (count: number) => {
    let n = 0
    return (_req: ListRequest) => ({
      kvs: Array.from({ length: count }, () => ({ key: gatewayKey(`keyhold/k${(n++).toString(36).padStart(8, '0')}`) })),
      more: true,
    })
  }

  it('refuses a listing page with more names than asked for (100,000 names for 512) at the first page', async () => {
    const gateway = await startGatewayStandin({ list: fresh(100_000) })
    const store = await EtcdKeyStore.connect(gateway.config())
    try {
      await expect(store.list('', 0, signal())).rejects.toThrow(/an answer holds 100000 keys, 512 were asked for/)
      expect(gateway.listCalls).toBe(1)
    } finally {
      await store.close()
      await gateway.close()
    }
  })

  it.each([
    ['repeats the previous page', () => ['keyhold/a', 'keyhold/b'], 2],
    // 511 copies of one name and one new last name: the page's end moves forward by one name each time.
    ['repeats a name within a page', (_req: ListRequest, page: number) => [...Array<string>(511).fill('keyhold/a'), `keyhold/b${page}`], 1],
    // A window sliding by one name: every page's last name is new, its others were listed already.
    ['starts before the name asked for', (_req: ListRequest, page: number) => Array.from({ length: 512 }, (_, i) => `keyhold/k${String(page + i).padStart(8, '0')}`), 2],
    ['holds a name outside the range asked for', () => ['keyhold/a', 'other/b'], 1],
  ])('ends a listing whose answer %s', async (_name, names, calls) => {
    let page = 0
    const gateway = await startGatewayStandin({ list: (req) => ({ kvs: names(req, page++).map((n) => ({ key: gatewayKey(n) })), more: true }) })
    const store = await EtcdKeyStore.connect(gateway.config())
    try {
      await expect(store.list('', 0, signal())).rejects.toThrow(/an answer holds a key out of order or outside the range asked for/)
      expect(gateway.listCalls).toBe(calls)
    } finally {
      await store.close()
      await gateway.close()
    }
  })

  it('does not list names longer than any the server stores (40,000 characters)', async () => {
    const gateway = await startGatewayStandin({ list: () => ({ kvs: [gatewayKey(`keyhold/a${'x'.repeat(40_000)}`), gatewayKey('keyhold/b')].map((key) => ({ key })) }) })
    const store = await EtcdKeyStore.connect(gateway.config())
    try {
      expect((await store.list('', 0, signal())).names).toEqual(['b'])
    } finally {
      await store.close()
      await gateway.close()
    }
  })

  it('ends a listing of a member inventing new names forever at 2,000,000 names', async () => {
    const gateway = await startGatewayStandin({ list: fresh(512) })
    const store = await EtcdKeyStore.connect({ ...gateway.config(), timeoutMs: 60_000 })
    try {
      await expect(store.list('', 0, AbortSignal.timeout(60_000))).rejects.toThrow(/more than 2000000 names/)
      expect(gateway.listCalls).toBe(Math.ceil(2_000_001 / 512))
    } finally {
      await store.close()
      await gateway.close()
    }
  }, 90_000)

  it("answers GET /v1/key/list/* with KES's 502 when the member sends oversized pages forever", async () => {
    const gateway = await startGatewayStandin({ list: fresh(100_000) })
    const server = await startTestServer({ keystore: { kind: 'etcd', config: gateway.config() } }, { probeMs: 0 })
    try {
      const start = Date.now()
      const res = await server.call(server.pki.clients.admin, 'GET', '/v1/key/list/*')
      expect([res.status, res.json]).toEqual([502, { message: 'failed to list keys' }])
      expect(Date.now() - start).toBeLessThan(5_000)
    } finally {
      await server.close()
      await gateway.close()
    }
  })

  it('cuts the error text a watch stream ends with before it is logged (6 MiB from the member)', async () => {
    const gateway = await startGatewayStandin({ watchError: `boom ${'W'.repeat(6 << 20)}` })
    const lines: string[] = []
    const store = await EtcdKeyStore.connect(gateway.config(), { log: (m) => lines.push(m) })
    try {
      store.watch(() => {})
      await until(() => lines.length > 0 && gateway.watchCalls >= 3, 5_000)
      for (const line of lines) expect(line.length).toBeLessThan(1_000)
      expect(lines[0]).toMatch(/watch ended: boom W+… \(\d+ more characters cut\)/)
    } finally {
      await store.close()
      await gateway.close()
    }
  })
})
