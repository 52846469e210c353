/**
 * `keyhold migrate` fs → etcd → fs against a real etcd (client TLS, RBAC, the password from a
 * `${VAR}`): the key files that come back are byte-identical to those that went in, and etcd
 * holds the very same bytes.
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { FileKeyStore } from '../../backends/fs.js'
import { encodeKeyVersion, generateKeyVersion } from '../../src/kms/crypto/key.js'
import { startEtcdCluster, type EtcdCluster } from '../helpers/etcd.js'
import { testPki } from '../helpers/pki.js'
import { cli } from './run.js'

let cluster: EtcdCluster
beforeAll(async () => {
  cluster = await startEtcdCluster({ size: 1, rbac: true })
}, 30_000)
afterAll(async () => {
  await cluster?.stop()
})

it('round-trips fs → etcd → fs byte for byte', async () => {
  const pki = await testPki()
  const root = mkdtempSync(join(tmpdir(), 'keyhold-migrate-etcd-'))
  const head = `admin:\n  identity: disabled\ntls:\n  key: ${pki.server.keyFile}\n  cert: ${pki.server.certFile}\nkeystore:\n`
  const fsConfig = (dir: string) => {
    const file = join(root, `${dir}.yml`)
    writeFileSync(file, `${head}  fs:\n    path: ${join(root, dir)}\n`)
    return file
  }
  const etcd = cluster.config()
  const env = { KEYHOLD_TEST_ETCD_PASSWORD: etcd.auth!.password }
  const etcdConfig = join(root, 'etcd.yml')
  writeFileSync(etcdConfig, head + [
    '  etcd:',
    `    endpoints: [${etcd.endpoints.join(', ')}]`,
    `    prefix: ${etcd.prefix}`,
    `    tls: { ca: ${etcd.tls.ca}, cert: ${etcd.tls.cert}, key: ${etcd.tls.key} }`,
    '    auth:',
    `      username: ${etcd.auth!.username}`,
    '      password: ${KEYHOLD_TEST_ETCD_PASSWORD}',
  ].join('\n') + '\n')

  const source = await FileKeyStore.open(join(root, 'source'))
  const signal = AbortSignal.timeout(10_000)
  const values: Record<string, Uint8Array> = {
    'minio-1': encodeKeyVersion(generateKeyVersion('')),
    'minio-2': encodeKeyVersion(generateKeyVersion(pki.clients.admin.identity)),
    legacy: Buffer.from('{"bytes":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=","algorithm":"AES256-GCM_SHA256"}'),
    binary: Uint8Array.from({ length: 300 }, (_, i) => i % 256),
  }
  for (const [name, value] of Object.entries(values)) await source.create(name, value, signal)
  await source.close()

  const there = await cli(['migrate', '--from', fsConfig('source'), '--to', etcdConfig], env)
  expect(there, there.stderr).toMatchObject({ code: 0, stdout: '{"migrated":4,"skipped":0}\n' })
  const stored = await cluster.admin('/v3/kv/range', { key: Buffer.from(`${etcd.prefix}minio-1`).toString('base64') })
  expect(Buffer.from((stored.kvs as { value: string }[])[0]!.value, 'base64').equals(values['minio-1']!)).toBe(true)

  const back = await cli(['migrate', '--from', etcdConfig, '--to', fsConfig('back')], env)
  expect(back, back.stderr).toMatchObject({ code: 0, stdout: '{"migrated":4,"skipped":0}\n' })
  expect(readdirSync(join(root, 'back')).sort()).toEqual(Object.keys(values).sort())
  for (const name of Object.keys(values)) {
    expect(readFileSync(join(root, 'back', name)).equals(readFileSync(join(root, 'source', name))), name).toBe(true)
  }
}, 30_000)
