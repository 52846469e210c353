/**
 * Rotation on the real `keyhold server` with `--workers 2` and an fs keystore: after one worker
 * rotates, every worker seals under the new version at once (the key fan-out); ciphertexts of
 * every version decrypt in every worker and after a restart; the current version's file is
 * what KES reads, and an independent implementation of KES's formats
 * (test/kms/crypto/kes_crypto.py) decodes it and opens what the server sealed under it.
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decrypt } from '../../../src/kms/crypto/ciphertext.js'
import { decodeKeyVersion, type KeyVersion } from '../../../src/kms/crypto/key.js'
import { testPki, type TestPki } from '../../helpers/pki.js'
import { send } from '../../helpers/server.js'
import { spawnServer, type SpawnedServer } from '../observability/spawn-server.js'

/** Fresh connections per check: the kernel spreads them over both workers many times. */
const ATTEMPTS = 16
const LOG = 'log:\n  error: warn\n'
const SCRIPT = join(import.meta.dirname, '../crypto/kes_crypto.py')

let pki: TestPki
let server: SpawnedServer
let keysDir: string
const servers: SpawnedServer[] = []

const call = (method: string, path: string, body?: object) => send(server.url, pki, pki.clients.admin, method, path, body)
const fileKey = (entry: string): KeyVersion => decodeKeyVersion(readFileSync(join(keysDir, entry)))
const opensWith = (key: KeyVersion, ct: string): boolean => {
  try {
    decrypt(key, Buffer.from(ct, 'base64'))
    return true
  } catch {
    return false
  }
}

async function sealMany(name: string, n = ATTEMPTS): Promise<string[]> {
  const out: string[] = []
  for (let i = 0; i < n; i++) {
    const r = await call('POST', `/v1/key/encrypt/${name}`, { plaintext: Buffer.from(`p${i}`).toString('base64') })
    expect(r.status, r.text).toBe(200)
    out.push((r.json as { ciphertext: string }).ciphertext)
  }
  return out
}

async function openAll(name: string, cts: string[]): Promise<void> {
  for (const [i, ct] of cts.entries()) {
    const r = await call('POST', `/v1/key/decrypt/${name}`, { ciphertext: ct })
    expect([r.status, Buffer.from((r.json as { plaintext: string }).plaintext ?? '', 'base64').toString()]).toEqual([200, `p${i % ATTEMPTS}`])
  }
}

function python(request: object): Promise<{ decrypted: (string | null)[]; decoded_keys: ({ alg: string; key: string } | null)[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', [SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    let err = ''
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      if (code !== 0) reject(new Error(`kes_crypto.py exited ${code}: ${err}`))
      else resolve(JSON.parse(Buffer.concat(out).toString()))
    })
    child.stdin.end(JSON.stringify(request))
  })
}

beforeAll(async () => {
  pki = await testPki()
  server = await spawnServer(pki, LOG, ['--workers', '2'])
  servers.push(server)
  keysDir = join(server.dir, 'keys')
}, 60_000)

afterAll(async () => {
  for (const s of servers) await s.stop()
})

describe('rotation with --workers 2 and an fs keystore', () => {
  let v1: string[]
  let v2: string[]

  it('every worker seals under the new version as soon as the rotation answers', async () => {
    expect((await call('POST', '/v1/key/create/wk')).status).toBe(200)
    v1 = await sealMany('wk') // every worker now caches version 1
    const rot = await call('PUT', '/v1/key/rotate/wk')
    expect([rot.status, (rot.json as { version: number }).version]).toEqual([200, 2])
    v2 = await sealMany('wk')
    const [k1, k2] = [fileKey('wk-v1-'), fileKey('wk-v2-')]
    expect(v1.every((ct) => opensWith(k1, ct) && !opensWith(k2, ct))).toBe(true)
    expect(v2.map((ct) => opensWith(k2, ct))).toEqual(v2.map(() => true))
  }, 60_000)

  it('every worker decrypts ciphertexts of both versions', async () => {
    await openAll('wk', [...v1, ...v2])
  }, 60_000)

  it('lists the key once and describes both versions in every worker', async () => {
    for (let i = 0; i < 4; i++) {
      expect((await call('GET', '/v1/key/list/wk*')).json).toEqual({ names: ['wk'] })
      expect(((await call('GET', '/v1/key/describe/wk')).json as { versions: { version: number }[] }).versions.map((v) => v.version)).toEqual([2, 1])
    }
  }, 60_000)

  it('the current version is the file KES reads at the key name; Python decodes it and opens what the server sealed', async () => {
    const text = readFileSync(join(keysDir, 'wk'), 'ascii')
    expect(text).toBe(readFileSync(join(keysDir, 'wk-v2-'), 'ascii'))
    const decoded = await python({ decode_key: [text] })
    const key = decoded.decoded_keys[0]!
    expect(key).not.toBeNull()
    const answer = await python({
      decrypt: [...v2, ...v1.slice(0, 2)].map((ct) => ({ alg: key.alg, key: key.key, ct, ctx: '' })),
    })
    expect(answer.decrypted.slice(0, v2.length).map((p) => Buffer.from(p ?? '', 'base64').toString())).toEqual(v2.map((_, i) => `p${i}`))
    // Control: version 1's ciphertexts do not open under the current key.
    expect(answer.decrypted.slice(v2.length)).toEqual([null, null])
  }, 60_000)

  it('after a restart on the same directory: every version decrypts, the newest seals, and rotation goes on', async () => {
    await server.stop()
    server = await spawnServer(pki, LOG, ['--workers', '2'], `  fs:\n    path: ${keysDir}`)
    servers.push(server)
    await openAll('wk', [...v1, ...v2])
    const sealed = await sealMany('wk', 4)
    expect(sealed.every((ct) => opensWith(fileKey('wk-v2-'), ct))).toBe(true)
    expect(((await call('PUT', '/v1/key/rotate/wk')).json as { version: number }).version).toBe(3)
    const v3 = await sealMany('wk', 4)
    expect(v3.every((ct) => opensWith(fileKey('wk-v3-'), ct))).toBe(true)
    await openAll('wk', [...v1, ...v2])
    expect(server.stderr()).not.toMatch(/did not drop|exited|replacement/)
  }, 90_000)
})
