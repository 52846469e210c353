/**
 * What key rotation costs decrypt (docs/key-rotation.md, "Decrypt"; figures in
 * docs/performance.md). KES ciphertexts carry no version, so Keyhold opens a ciphertext with the
 * current version first and then with every older one, newest first: a data key sealed under
 * the oldest of N versions costs N AEAD opens, N − 1 of them rejected by the tag.
 *
 * Runs the real decrypt path of `keyhold server` (the handler's versioned opener over the key
 * cache, the versioned keystore and a memory or fs keystore) in-process, for keys with 1, 10
 * and 100 versions, on 76-byte ciphertexts (a 32-byte data key with a 40-byte context, what
 * keyhold-s3 and MinIO send), sealed under the newest, the middle and the oldest version, plus
 * a forged one (no version opens it). Also times the first decrypt after a rotation (it lists
 * the versions and reads each of them) on an fs keystore.
 *
 *   node --import tsx bench/key-rotation-cost.ts [--ops 20000]
 *
 * Bounded: --ops decrypts per case, 12 cases.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { FileKeyStore } from '../backends/fs.js'
import { MemoryKeyStore } from '../backends/memory.js'
import { encrypt, tryDecrypt } from '../src/kms/crypto/ciphertext.js'
import { decodeKeyVersion, generateKeyVersion } from '../src/kms/crypto/key.js'
import { versionedOpener } from '../src/kms/handlers/key-versions.js'
import { KeyCache } from '../src/kms/keystore/cache.js'
import type { KeyStore } from '../src/kms/keystore/keystore.js'
import { rotateKey } from '../src/kms/keystore/rotate.js'
import { versionEntry } from '../src/kms/keystore/version-names.js'
import { VersionedKeyStore } from '../src/kms/keystore/versioned-store.js'
import { silentLogger } from '../src/kms/observability/logger.js'
import type { ServerContext } from '../src/kms/state.js'

const { values } = parseArgs({ options: { ops: { type: 'string', default: '20000' } } })
const OPS = Number(values.ops)
const signal = () => AbortSignal.timeout(60_000)

async function keyWithVersions(backend: KeyStore, name: string, n: number): Promise<KeyCache> {
  const keys = new KeyCache(new VersionedKeyStore(backend), { anyMs: 0, unusedMs: 0, offlineMs: 0, probeMs: 0 })
  await keys.create(name, generateKeyVersion('bench'), signal())
  for (let i = 1; i < n; i++) await rotateKey(keys, name, 'bench', signal())
  return keys
}

async function versionKey(keys: KeyCache, name: string, n: number, version: number) {
  // A key never rotated has no version entries: version 1 is the key itself.
  return decodeKeyVersion(await keys.store.get(n === 1 ? name : versionEntry(name, version), signal()))
}

const context = randomBytes(40)
const dek = randomBytes(32)
const rows: string[] = []

// The unit of the whole cost: one AEAD open (key derivation + AES-GCM), accepted or rejected by the tag.
const [right, wrong] = [generateKeyVersion('bench'), generateKeyVersion('bench')]
const sample = encrypt(right, dek, context)
const unit = (key: typeof right): number => {
  const start = process.hrtime.bigint()
  for (let i = 0; i < OPS; i++) tryDecrypt(key, sample, context)
  return Number(process.hrtime.bigint() - start) / 1e3 / OPS
}
unit(right)
unit(wrong)
const [accepted, rejected] = [unit(right), unit(wrong)]

for (const n of [1, 10, 100]) {
  const name = `bench-${n}`
  const keys = await keyWithVersions(new MemoryKeyStore(), name, n)
  const ctx = { keys, log: silentLogger() } as unknown as ServerContext
  const open = versionedOpener(ctx)
  const current = await keys.get(name)
  const cases: Array<[string, Uint8Array]> = [
    ['newest', encrypt(await versionKey(keys, name, n, n), dek, context)],
    ['middle', encrypt(await versionKey(keys, name, n, Math.ceil(n / 2)), dek, context)],
    ['oldest', encrypt(await versionKey(keys, name, n, 1), dek, context)],
    ['forged', new Uint8Array(randomBytes(76))],
  ]
  for (const [label, ct] of cases) {
    await open(name, current, ct, context).catch(() => {}) // loads the versions once
    const start = process.hrtime.bigint()
    let failures = 0
    for (let i = 0; i < OPS; i++) await open(name, current, ct, context).catch(() => failures++)
    const us = Number(process.hrtime.bigint() - start) / 1e3 / OPS
    if ((label === 'forged') !== (failures === OPS)) throw new Error(`unexpected result for ${label} with ${n} versions`)
    rows.push(`| ${n} | ${label} | ${us.toFixed(2)} | ${Math.round(1e6 / us).toLocaleString('en')} |`)
  }
  await keys.close()
}

// The first decrypt of an old ciphertext after a rotation reads every version from the store.
const loads: string[] = []
for (const n of [1, 10, 100]) {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-rotation-bench-'))
  try {
    const name = `bench-${n}`
    const keys = await keyWithVersions(await FileKeyStore.open(dir), name, n)
    const ct = encrypt(await versionKey(keys, name, n, 1), dek, context)
    const open = versionedOpener({ keys, log: silentLogger() } as unknown as ServerContext)
    const current = await keys.get(name)
    const start = process.hrtime.bigint()
    await open(name, current, ct, context)
    loads.push(`| ${n} | ${(Number(process.hrtime.bigint() - start) / 1e6).toFixed(2)} |`)
    await keys.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} ×${cpus().length}, ${OPS} decrypts per case, one core, AES256 keys\n`)
console.log(`one AEAD open: ${accepted.toFixed(2)} µs accepted, ${rejected.toFixed(2)} µs rejected by the tag\n`)
console.log('| versions | sealed under | µs per decrypt | decrypts/s (one core) |\n|---:|---|---:|---:|')
console.log(rows.join('\n'))
console.log('\n| versions | first decrypt of an oldest-version ciphertext, fs keystore (ms) |\n|---:|---:|')
console.log(loads.join('\n'))
