import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import {
  decryptMadminData, encryptMadminData, isMadminEncrypted, MadminCryptoError,
  MADMIN_ARGON2ID_AES, MADMIN_ARGON2ID_CHACHA, MADMIN_PBKDF2_AES,
} from '../../../src/s3/admin/madmin-crypto.js'

const here = dirname(fileURLToPath(import.meta.url))
const fixtures = JSON.parse(readFileSync(join(here, 'fixtures/madmin-fixtures.json'), 'utf8')) as Array<{
  alg: number; password: string; size: number; ciphertext: string
}>
const plainOf = (alg: number, size: number): Buffer => Buffer.from(Array.from({ length: size }, (_, i) => (i * 7 + alg) % 251))
const python = spawnSync('python3', ['-c', 'import cryptography.hazmat.primitives.kdf.argon2'], { encoding: 'utf8' })

describe('madmin EncryptData / DecryptData', () => {
  it.each(fixtures.map((f) => [f.alg, f.size, f] as const))('decrypts the independent fixture alg=%i size=%i', async (_a, _s, f) => {
    const out = await decryptMadminData(f.password, Buffer.from(f.ciphertext, 'hex'))
    expect(out.equals(plainOf(f.alg, f.size))).toBe(true)
  })

  it.each([MADMIN_ARGON2ID_AES, MADMIN_ARGON2ID_CHACHA, MADMIN_PBKDF2_AES])('round-trips with algorithm %i and has the sio-go size', async (alg) => {
    for (const n of [0, 16385]) {
      const plain = plainOf(alg, n)
      const enc = await encryptMadminData('s3cr3tkey', plain, alg)
      expect(enc.length).toBe(41 + n + 16 * Math.max(1, Math.ceil(n / 16384)))
      expect(isMadminEncrypted(enc)).toBe(true)
      expect(enc[32]).toBe(alg)
      expect((await decryptMadminData('s3cr3tkey', enc)).equals(plain)).toBe(true)
    }
  })

  it('refuses a wrong secret, a flipped bit, truncation and a reordered fragment', async () => {
    const plain = plainOf(0, 40000)
    const enc = await encryptMadminData('right-secret', plain, MADMIN_PBKDF2_AES)
    await expect(decryptMadminData('wrong-secret', enc)).rejects.toThrow(MadminCryptoError)
    const flipped = Buffer.from(enc)
    flipped[100] = (flipped[100] ?? 0) ^ 1
    await expect(decryptMadminData('right-secret', flipped)).rejects.toThrow('not authentic')
    await expect(decryptMadminData('right-secret', enc.subarray(0, 41 + 16400))).rejects.toThrow(MadminCryptoError)
    await expect(decryptMadminData('right-secret', enc.subarray(0, 20))).rejects.toThrow('too short')
    const swapped = Buffer.concat([enc.subarray(0, 41), enc.subarray(41 + 16400, 41 + 32800), enc.subarray(41, 41 + 16400), enc.subarray(41 + 32800)])
    await expect(decryptMadminData('right-secret', swapped)).rejects.toThrow(MadminCryptoError)
    const badId = Buffer.from(enc)
    badId[32] = 7
    await expect(decryptMadminData('right-secret', badId)).rejects.toThrow('unsupported')
    expect(isMadminEncrypted(badId)).toBe(false)
  })

  it.skipIf(python.status !== 0)('is decrypted by the independent Python implementation', async () => {
    for (const alg of [MADMIN_ARGON2ID_CHACHA, MADMIN_PBKDF2_AES]) {
      const plain = Buffer.from(JSON.stringify({ secretKey: 'abcdefgh', status: 'enabled', alg }))
      const enc = await encryptMadminData('py-secret', plain, alg)
      const r = spawnSync('python3', [join(here, 'fixtures/madmin_crypto.py'), 'decrypt', 'py-secret'], { input: enc.toString('hex'), encoding: 'utf8', timeout: 20_000 })
      expect(r.status).toBe(0)
      expect(Buffer.from(r.stdout, 'hex').equals(plain)).toBe(true)
    }
  })
})
