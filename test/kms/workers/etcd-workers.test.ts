/**
 * The real `keyhold server --workers 2` on a real etcd, beside another Keyhold server: a key
 * deleted through the other server is refused at once by both workers, each of which had it
 * cached (every worker follows etcd's watch itself).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startEtcdCluster, type EtcdCluster } from '../../helpers/etcd.js'
import { send, startTestServer, type TestServer } from '../../helpers/server.js'
import { testPki, type TestPki } from '../../helpers/pki.js'

let pki: TestPki
let cluster: EtcdCluster
let other: TestServer
let child: ChildProcess | undefined
let url = ''

beforeAll(async () => {
  pki = await testPki()
  cluster = await startEtcdCluster({ size: 1 })
  const etcd = cluster.config()
  other = await startTestServer({ keystore: { kind: 'etcd', config: etcd } })
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-etcd-workers-'))
  writeFileSync(join(dir, 'config.yml'), [
    'address: 127.0.0.1:0',
    `admin:\n  identity: ${pki.clients.admin.identity}`,
    `tls:\n  key: ${pki.server.keyFile}\n  cert: ${pki.server.certFile}`,
    'cache:\n  expiry:\n    any: 5m\n    unused: 5m',
    'keystore:\n  etcd:',
    `    endpoints: [${etcd.endpoints.join(', ')}]`,
    `    prefix: ${etcd.prefix}`,
    `    tls: { ca: ${etcd.tls.ca}, cert: ${etcd.tls.cert}, key: ${etcd.tls.key} }`,
  ].join('\n') + '\n')
  const bin = join(import.meta.dirname, '../../../bin/keyhold.js')
  child = spawn(process.execPath, [bin, 'server', '--config', join(dir, 'config.yml'), '--workers', '2'], {
    env: { ...process.env, KEYHOLD_FROM_SOURCE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d))
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d))
  const deadline = Date.now() + 30_000
  while (!(url = /listening on (https:\/\/\S+)/.exec(out)?.[1] ?? '')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`keyhold server did not start:\n${out}`)
    await new Promise((r) => setTimeout(r, 50))
  }
  expect(out).toContain('(2 workers)')
}, 40_000)
afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.once('exit', r))
    child.kill('SIGTERM')
    await exited
  }
  await cluster?.stop()
})

it('a delete through another server is refused at once by every worker', async () => {
  const { admin } = pki.clients
  for (let round = 0; round < 3; round++) {
    const key = `wk-${round}`
    expect((await other.call(admin, 'POST', `/v1/key/create/${key}`)).status).toBe(200)
    // Fresh connections spread over both workers; each caches the key.
    for (let i = 0; i < 6; i++) {
      const res = await send(url, pki, admin, 'POST', `/v1/key/generate/${key}`, { context: '' })
      expect(res.status).toBe(200)
    }
    expect((await other.call(admin, 'DELETE', `/v1/key/delete/${key}`)).status).toBe(200)
    for (let i = 0; i < 6; i++) {
      const res = await send(url, pki, admin, 'POST', `/v1/key/generate/${key}`, { context: '' })
      expect(res.status, `round ${round}, request ${i}`).toBe(404)
    }
  }
  const metrics = await send(url, pki, admin, 'GET', '/v1/metrics')
  expect(metrics.text).toContain('kes_system_num_cpu_used 2') // two workers served
}, 30_000)
