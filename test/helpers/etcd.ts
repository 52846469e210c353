/**
 * startEtcdCluster: real etcd members (the `etcd` binary, Debian's etcd-server) on random
 * loopback ports with data dirs in tmp, client TLS from the test PKI (etcd's
 * `--client-cert-auth`), and optionally RBAC: a `keyhold` user whose role may touch only the
 * keystore prefix. Election timing is short so fault tests stay bounded. Every cluster is killed
 * after the test file.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll } from 'vitest'
import { ETCD_DEFAULTS, type EtcdConfig } from '../../backends/etcd/index.js'
import { createCertificate, generateKeyPair, privateKeyFromPem, privateKeyToPem } from '../../src/pki/index.js'
import { freePort } from './net.js'
import { testPki } from './pki.js'

export interface EtcdMember {
  name: string
  clientUrl: string
  peerUrl: string
  dataDir: string
  process: ChildProcess | undefined
}

export interface EtcdCluster {
  members: EtcdMember[]
  /** Client TLS files for Keyhold: a CA and a client certificate without a Common Name (see docs/etcd.md). */
  tls: { ca: string; cert: string; key: string }
  /** The `keyhold` user's credentials when RBAC is on. */
  auth: { username: string; password: string } | undefined
  /** An EtcdConfig for this cluster under a fresh prefix unless `prefix` is given. */
  config(overrides?: Partial<EtcdConfig>): EtcdConfig
  /** A gateway call as root (or without a token when RBAC is off) to the first live member. */
  admin(path: string, body: object, member?: number): Promise<Record<string, unknown>>
  /** The index of the current leader (asks the live members). */
  leader(): Promise<number>
  /** SIGKILLs member `i` and waits for it to exit. */
  kill(i: number): Promise<void>
  /** Restarts member `i` on its data dir. */
  restart(i: number): Promise<void>
  /** Replaces member `i` by a fresh one of the same name and URLs with an empty data dir. */
  wipeAndRejoin(i: number): Promise<void>
  /** Saves a snapshot of member 0's store with etcdctl (as root) into the cluster's directory; returns its path. */
  snapshot(): Promise<string>
  /** Kills every member, restores each one's data dir from `file` with etcdctl, and restarts them. */
  restoreAll(file: string): Promise<void>
  /** Kills every member and removes the data. */
  stop(): Promise<void>
}

const clusters = new Set<EtcdCluster>()
afterAll(async () => {
  await Promise.all([...clusters].map((c) => c.stop()))
})

/** The etcd binary (`ETCD_BIN` overrides). */
export const ETCD_BIN = process.env.ETCD_BIN ?? '/usr/bin/etcd'

/**
 * startEtcdCluster starts `size` members and waits for a leader; with `rbac`, creates root and a
 * `keyhold` user limited to `keyhold/` and enables authentication. Throws when it does not come up.
 */
export async function startEtcdCluster(opts: { size?: number; rbac?: boolean } = {}): Promise<EtcdCluster> {
  const size = opts.size ?? 3
  const pki = await testPki()
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-etcd-'))
  const issuer = { certificatePem: pki.ca.certPem, privateKey: privateKeyFromPem(pki.ca.keyPem).privateKey }
  const write = async (name: string, commonName: string, usage: Array<'server' | 'client'>, hosts: string[]) => {
    const keyPair = generateKeyPair()
    writeFileSync(join(dir, `${name}.crt`), await createCertificate({ commonName, keyPair, usage, hosts, issuer, days: 2 }))
    writeFileSync(join(dir, `${name}.key`), privateKeyToPem(keyPair.privateKey), { mode: 0o600 })
    return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) }
  }
  // etcd's gateway dials its own gRPC server with the server certificate, so it needs client
  // usage too; with RBAC the gateway refuses client certificates that carry a Common Name.
  const server = await write('etcd-server', 'etcd', ['server', 'client'], ['127.0.0.1'])
  const client = await write('etcd-client', '', ['client'], [])
  const tls = { ca: pki.ca.certFile, ...client }
  const rootPassword = randomBytes(12).toString('hex')
  const auth = opts.rbac ? { username: 'keyhold', password: randomBytes(12).toString('hex') } : undefined
  const token = randomBytes(6).toString('hex')

  const members: EtcdMember[] = []
  for (let i = 0; i < size; i++) {
    members.push({
      name: `m${i}`,
      clientUrl: `https://127.0.0.1:${await freePort()}`,
      peerUrl: `http://127.0.0.1:${await freePort()}`,
      dataDir: join(dir, `m${i}.data`),
      process: undefined,
    })
  }
  const initialCluster = () => members.map((m) => `${m.name}=${m.peerUrl}`).join(',')
  const launch = (m: EtcdMember, state: 'new' | 'existing') => {
    const args = [
      '--name', m.name, '--data-dir', m.dataDir,
      '--listen-client-urls', m.clientUrl, '--advertise-client-urls', m.clientUrl,
      '--listen-peer-urls', m.peerUrl, '--initial-advertise-peer-urls', m.peerUrl,
      '--initial-cluster', initialCluster(), '--initial-cluster-state', state, '--initial-cluster-token', token,
      '--cert-file', server.cert, '--key-file', server.key, '--trusted-ca-file', pki.ca.certFile, '--client-cert-auth',
      '--heartbeat-interval', '50', '--election-timeout', '500',
      '--logger', 'zap', '--log-level', 'error', '--log-outputs', join(dir, `${m.name}.log`),
    ]
    m.process = spawn(ETCD_BIN, args, { stdio: 'ignore' })
    m.process.on('exit', () => {
      m.process = undefined
    })
  }

  let rootToken: string | undefined
  let authOn = false
  const rawCall = (url: string, path: string, body: object, headers: Record<string, string> = {}) =>
    gatewayCall(url, path, body, { ca: tls.ca, cert: tls.cert, key: tls.key }, headers)
  const admin: EtcdCluster['admin'] = async (path, body, member) => {
    let last: unknown
    const candidates = member === undefined ? members.filter((x) => x.process !== undefined) : [members[member]!]
    for (const m of candidates) {
      try {
        if (authOn && rootToken === undefined) {
          rootToken = String((await rawCall(m.clientUrl, '/v3/auth/authenticate', { name: 'root', password: rootPassword })).token)
        }
        return await rawCall(m.clientUrl, path, body, rootToken ? { Authorization: rootToken } : {})
      } catch (err) {
        last = err
      }
    }
    throw new Error(`etcd admin ${path} failed: ${String(last)}`)
  }
  const leader = async (): Promise<number> => {
    const deadline = Date.now() + 10_000
    while (Date.now() < deadline) {
      for (const [i, m] of members.entries()) {
        if (m.process === undefined) continue
        try {
          const st = await rawCall(m.clientUrl, '/v3/maintenance/status', {}, rootToken ? { Authorization: rootToken } : {})
          if (st.leader && st.leader !== '0' && st.leader === (st.header as { member_id?: string }).member_id) return i
        } catch {
          // down or electing: ask the next
        }
      }
      await new Promise((r) => setTimeout(r, 50))
    }
    throw new Error('etcd: no leader within 10 s')
  }
  const waitUp = async (m: EtcdMember) => {
    const deadline = Date.now() + 10_000
    for (;;) {
      try {
        const st = await rawCall(m.clientUrl, '/v3/maintenance/status', {}, rootToken ? { Authorization: rootToken } : {})
        if (st.leader && st.leader !== '0') return
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`etcd member ${m.name} did not come up: ${String(err)}`, { cause: err })
      }
      if (Date.now() > deadline) throw new Error(`etcd member ${m.name} has no leader`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  const kill = async (i: number) => {
    const p = members[i]!.process
    if (p === undefined) return
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve())
      p.kill('SIGKILL')
    })
  }

  for (const m of members) launch(m, 'new')
  await Promise.all(members.map(waitUp))
  if (auth !== undefined) {
    await admin('/v3/auth/user/add', { name: 'root', password: rootPassword })
    await admin('/v3/auth/user/grant', { user: 'root', role: 'root' })
    await admin('/v3/auth/role/add', { name: 'keyhold' })
    await admin('/v3/auth/role/grant', { name: 'keyhold', perm: { permType: 'READWRITE', key: b64('keyhold/'), range_end: b64('keyhold0') } })
    await admin('/v3/auth/user/add', { name: auth.username, password: auth.password })
    await admin('/v3/auth/user/grant', { user: auth.username, role: 'keyhold' })
    await admin('/v3/auth/enable', {})
    authOn = true
  }

  const cluster: EtcdCluster = {
    members,
    tls,
    auth,
    config: (overrides = {}) => ({
      endpoints: members.map((m) => m.clientUrl),
      prefix: `keyhold/${randomBytes(4).toString('hex')}/`,
      tls,
      ...(auth ? { auth } : {}),
      timeoutMs: ETCD_DEFAULTS.timeoutMs,
      attemptTimeoutMs: ETCD_DEFAULTS.attemptTimeoutMs,
      ...overrides,
    }),
    admin,
    leader,
    kill,
    restart: async (i) => {
      launch(members[i]!, 'existing')
      await waitUp(members[i]!)
    },
    wipeAndRejoin: async (i) => {
      const m = members[i]!
      await kill(i)
      const list = await admin('/v3/cluster/member/list', {})
      const entry = (list.members as { ID: string; name?: string }[]).find((x) => x.name === m.name)
      if (entry !== undefined) await admin('/v3/cluster/member/remove', { ID: entry.ID })
      rmSync(m.dataDir, { recursive: true, force: true })
      // etcd refuses to add a member until the others have been connected for a few seconds
      // ("unhealthy cluster", e.g. right after a restart): retry within a bound.
      for (const deadline = Date.now() + 10_000; ;) {
        try {
          await admin('/v3/cluster/member/add', { peerURLs: [m.peerUrl] })
          break
        } catch (err) {
          if (Date.now() > deadline || !String(err).includes('unhealthy cluster')) throw err
          await new Promise((r) => setTimeout(r, 200))
        }
      }
      launch(m, 'existing')
      await waitUp(m)
    },
    snapshot: async () => {
      const m = members[0]!
      const file = join(dir, `snapshot-${randomBytes(4).toString('hex')}.db`)
      const user = auth ? ['--user', `root:${rootPassword}`] : []
      await etcdctl(['--endpoints', m.clientUrl, '--cacert', tls.ca, '--cert', tls.cert, '--key', tls.key, ...user, 'snapshot', 'save', file])
      return file
    },
    restoreAll: async (file) => {
      await Promise.all(members.map((_, i) => kill(i)))
      for (const m of members) {
        rmSync(m.dataDir, { recursive: true, force: true })
        await etcdctl(['snapshot', 'restore', file, '--name', m.name, '--data-dir', m.dataDir, '--initial-cluster', initialCluster(),
          '--initial-cluster-token', token, '--initial-advertise-peer-urls', m.peerUrl])
      }
      rootToken = undefined // tokens do not survive a restart
      for (const m of members) launch(m, 'existing')
      await Promise.all(members.map(waitUp))
    },
    stop: async () => {
      clusters.delete(cluster)
      await Promise.all(members.map((_, i) => kill(i)))
      rmSync(dir, { recursive: true, force: true })
    },
  }
  clusters.add(cluster)
  return cluster
}

function b64(s: string): string {
  return Buffer.from(s).toString('base64')
}

/** The etcdctl next to the etcd binary (Debian's etcd-client). */
const ETCDCTL_BIN = process.env.ETCDCTL_BIN ?? join(ETCD_BIN, '..', 'etcdctl')

/** Runs etcdctl (API v3), bounded; rejects with its stderr. */
async function etcdctl(args: string[]): Promise<void> {
  await promisify(execFile)(ETCDCTL_BIN, args, { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 20_000 })
}

/** One gateway POST with client TLS; resolves the JSON answer, rejects on a non-200. */
export function gatewayCall(
  url: string, path: string, body: object, tls: { ca: string; cert: string; key: string }, headers: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), {
      method: 'POST',
      ca: readFileSync(tls.ca), cert: readFileSync(tls.cert), key: readFileSync(tls.key),
      headers: { 'Content-Type': 'application/json', ...headers },
      timeout: 3_000,
    }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        if (res.statusCode !== 200) reject(new Error(`${path}: HTTP ${res.statusCode} ${text}`))
        else resolve(JSON.parse(text) as Record<string, unknown>)
      })
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`${path}: timeout`)))
    req.on('error', reject)
    req.end(JSON.stringify(body))
  })
}
