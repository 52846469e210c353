/**
 * Keys and ciphertexts in KES's on-disk formats (test/fixtures/kes, test data only), read
 * through FileKeyStore and decoded to known values.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FileKeyStore } from '../../../backends/fs.js'
import { decrypt, encrypt } from '../../../src/kms/crypto/ciphertext.js'
import { hmac, NoHmacKeyError } from '../../../src/kms/crypto/hmac.js'
import { type KeyVersion, decodeKeyVersion } from '../../../src/kms/crypto/key.js'

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'kes')
const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'))
const signal = (): AbortSignal => AbortSignal.timeout(5000)

const EXPECTED: Record<string, KeyVersion> = {
  'kes-2024-key': {
    key: b64('yIcbtes33gW7BuUkmivh/t/qtuoCXsPCwtqIijLPQPY='),
    algorithm: 'AES256',
    hmacKey: b64('nLXl4yqa4cjZTcSbsU6sNnN8kP9ARWkXwa20YQZa9Hg='),
    createdAt: new Date('2024-01-12T10:39:20.886Z'),
    createdBy: '3ecfcdf38fcbe141ae26a1030f81e96b753365a46760ae6b578698a97c59fd22',
  },
  'kes-v022-key': {
    key: b64('9ew6BCae3+13sniOUwttEJ62amg98YXc0OW0WBhNiCY='),
    algorithm: 'ChaCha20',
    createdAt: new Date('2009-11-10T23:00:00Z'),
    createdBy: '189d9de5331e3ee8abe9e4bd40d474ad621d79ccf83a711f6ac68050eb15a52a',
  },
  'kes-v017-key': { key: b64('J8qmOyEV2ce2yoAC+5t0Y7CSP/hTMppL7XHpAnyc+0E='), algorithm: 'AES256' },
}

interface FixtureCiphertext { key: string; format: string; context: string; plaintext: string; ciphertext: string }
const CIPHERTEXTS = (JSON.parse(readFileSync(join(FIXTURES, 'ciphertexts.json'), 'utf8')) as { ciphertexts: FixtureCiphertext[] }).ciphertexts

describe('KES fs fixtures', () => {
  let dir: string
  let store: FileKeyStore

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keyhold-kes-fixtures-'))
    await cp(join(FIXTURES, 'fs'), dir, { recursive: true })
    store = await FileKeyStore.open(dir)
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('lists the KES key directory', async () => {
    expect(await store.list('', 0, signal())).toEqual({ names: Object.keys(EXPECTED).sort(), next: '' })
  })

  for (const [name, want] of Object.entries(EXPECTED)) {
    it(`decodes ${name} to its known values`, async () => {
      expect(decodeKeyVersion(await store.get(name, signal()))).toEqual(want)
    })
  }

  for (const c of CIPHERTEXTS) {
    it(`decrypts the ${c.format} ciphertext under ${c.key}`, async () => {
      const k = decodeKeyVersion(await store.get(c.key, signal()))
      expect(Buffer.from(decrypt(k, b64(c.ciphertext), b64(c.context))).toString()).toBe(c.plaintext)
    })
  }

  it('uses legacy keys for new ciphertexts, but not for HMAC', async () => {
    const legacy = decodeKeyVersion(await store.get('kes-v022-key', signal()))
    expect(decrypt(legacy, encrypt(legacy, Uint8Array.of(1, 2, 3)))).toEqual(Uint8Array.of(1, 2, 3))
    expect(() => hmac(legacy, Uint8Array.of(1))).toThrow(NoHmacKeyError)
    const current = decodeKeyVersion(await store.get('kes-2024-key', signal()))
    expect(hmac(current, Uint8Array.of(1))).toHaveLength(32)
  })
})
