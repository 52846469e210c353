/**
 * Every way a ciphertext can be wrong ends in the same DecryptError, never another exception.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DecryptError, decrypt } from '../../../src/kms/crypto/ciphertext.js'
import type { KeyAlgorithm, KeyVersion } from '../../../src/kms/crypto/key.js'

const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'))
const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const MESSAGE = 'decryption failed: ciphertext is not authentic'

interface Vector {
  algorithm: KeyAlgorithm
  format: 'current' | 'msgpack' | 'json'
  key: string
  context: string
  plaintext: string
  ciphertext: string
}
const OWN: Vector[] = (JSON.parse(readFileSync(join(import.meta.dirname, 'vectors.json'), 'utf8')) as { vectors: Vector[] }).vectors
// One vector with a context per format and algorithm.
const BASE = OWN.filter((v) => v.context !== '' && v.plaintext !== '')

function failure(key: KeyVersion, ct: Uint8Array, ctx?: Uint8Array): unknown {
  try {
    decrypt(key, ct, ctx)
  } catch (e) {
    return e
  }
  return undefined
}

function expectNotAuthentic(key: KeyVersion, ct: Uint8Array, ctx?: Uint8Array): void {
  const err = failure(key, ct, ctx)
  expect(err).toBeInstanceOf(DecryptError)
  expect((err as Error).message).toBe(MESSAGE)
}

const flip = (b: Uint8Array, i: number): Uint8Array => {
  const c = Uint8Array.from(b)
  c[i]! ^= 0x01
  return c
}

for (const v of BASE) {
  describe(`${v.format} ${v.algorithm}`, () => {
    const key: KeyVersion = { algorithm: v.algorithm, key: b64(v.key) }
    const ctx = b64(v.context)
    const raw = v.format === 'json' ? text(v.ciphertext) : b64(v.ciphertext)

    it('decrypts untouched (the control)', () => {
      expect(Buffer.from(decrypt(key, raw, ctx)).toString('base64')).toBe(v.plaintext)
    })

    it('rejects a wrong, missing or extended context', () => {
      expectNotAuthentic(key, raw, text('other'))
      expectNotAuthentic(key, raw)
      expectNotAuthentic(key, raw, new Uint8Array([...ctx, 0]))
    })

    it('rejects a wrong key', () => {
      expectNotAuthentic({ ...key, key: flip(key.key, 31) }, raw, ctx)
      expectNotAuthentic({ ...key, key: randomBytes(32) }, raw, ctx)
    })

    it('rejects master keys of the wrong size without another exception', () => {
      expectNotAuthentic({ ...key, key: key.key.subarray(0, 31) }, raw, ctx)
      expectNotAuthentic({ ...key, key: new Uint8Array(0) }, raw, ctx)
    })

    if (v.format !== 'json') {
      it('rejects a flipped bit in any byte (but the unchecked msgpack key ID)', () => {
        // KES never checked the key ID in the msgpack container (the AEAD tag decides), nor do we.
        const keyId = v.format === 'msgpack' ? [2 + raw[1]! - 0xa0 + 2, 2 + raw[1]! - 0xa0 + 2 + 32] : [0, 0]
        for (let i = 0; i < raw.length; i++) {
          if (i >= keyId[0]! && i < keyId[1]!) expect(decrypt(key, flip(raw, i), ctx)).toHaveLength(b64(v.plaintext).length)
          else expectNotAuthentic(key, flip(raw, i), ctx)
        }
      })
    }

    it('rejects truncation and extension', () => {
      for (const n of [0, 1, 16, 28, 29, raw.length - 1]) expectNotAuthentic(key, raw.subarray(0, n), ctx)
      expectNotAuthentic(key, new Uint8Array([...raw, 0]), ctx)
    })
  })
}

describe('legacy JSON container', () => {
  const v = BASE.find((x) => x.format === 'json' && x.algorithm === 'AES256')!
  const key: KeyVersion = { algorithm: 'AES256', key: b64(v.key) }
  const ctx = b64(v.context)
  const obj = JSON.parse(v.ciphertext) as Record<string, unknown>
  const mutate = (patch: Record<string, unknown>): Uint8Array => text(JSON.stringify({ ...obj, ...patch }))

  it('accepts member names in any case and an absent id, like Go', () => {
    const upper = Object.fromEntries(Object.entries(obj).filter(([k]) => k !== 'id').map(([k, x]) => [k.toUpperCase(), x]))
    expect(Buffer.from(decrypt(key, text(JSON.stringify(upper)), ctx)).toString('base64')).toBe(v.plaintext)
  })

  const cases: [string, Record<string, unknown>][] = [
    ['20-byte iv', { iv: Buffer.alloc(20).toString('base64') }],
    ['15-byte iv', { iv: Buffer.alloc(15).toString('base64') }],
    ['8-byte nonce', { nonce: Buffer.alloc(8).toString('base64') }],
    ['24-byte nonce (XChaCha size)', { nonce: Buffer.alloc(24).toString('base64') }],
    ['unknown aead name', { aead: 'AES-256-GCM' }],
    ['aead name in the wrong case', { aead: 'aes-256-gcm-hmac-sha-256' }],
    ['aead of the other algorithm', { aead: 'ChaCha20Poly1305' }],
    ['msgpack-style aead name', { aead: 'AES256-GCM_SHA256' }],
    ['prototype member as aead', { aead: '__proto__' }],
    ['missing aead', { aead: null }],
    ['aead not a string', { aead: 1 }],
    ['id not a string', { id: 5 }],
    ['iv not base64', { iv: '!!!!' }],
    ['iv in URL-safe base64', { iv: (obj.iv as string).replace(/\+/g, '-').replace(/\//g, '_') + '-_' }],
    ['bytes missing', { bytes: null }],
    ['bytes not a string', { bytes: [1, 2, 3] }],
  ]
  for (const [why, patch] of cases) it(`rejects ${why}`, () => expectNotAuthentic(key, mutate(patch), ctx))

  it('rejects malformed JSON and non-objects', () => {
    for (const s of ['{', '{}', '{"aead":', '{"aead":"AES-256-GCM-HMAC-SHA-256"}', '{null}', `${v.ciphertext}x`]) {
      expectNotAuthentic(key, text(s), ctx)
    }
  })
})

describe('legacy msgpack container', () => {
  const v = BASE.find((x) => x.format === 'msgpack' && x.algorithm === 'ChaCha20')!
  const key: KeyVersion = { algorithm: 'ChaCha20', key: b64(v.key) }
  const ctx = b64(v.context)
  const raw = b64(v.ciphertext)
  // Layout made by kes_crypto.py: 95 | b2 "XCHACHA20-POLY1305" | d9 20 id(32) | c4 10 iv | c4 0c nonce | c4 n sealed
  const ivAt = 1 + 1 + 18 + 2 + 32

  it('has the layout this test assumes (the control)', () => {
    expect([raw[0], raw[1], raw[20], raw[21], raw[ivAt], raw[ivAt + 1]]).toEqual([0x95, 0xb2, 0xd9, 0x20, 0xc4, 0x10])
    expect(Buffer.from(decrypt(key, raw, ctx)).toString('base64')).toBe(v.plaintext)
  })

  const withByte = (i: number, x: number): Uint8Array => {
    const c = Uint8Array.from(raw)
    c[i] = x
    return c
  }
  const cases: [string, Uint8Array][] = [
    ['a trailing byte', new Uint8Array([...raw, 0xc0])],
    ['a 4-item array', withByte(0, 0x94)],
    ['a 6-item array', withByte(0, 0x96)],
    ['an unknown algorithm name', withByte(2, 0x59)], // 'X' -> 'Y'
    ['the algorithm as bin, not str', new Uint8Array([0x95, 0xc4, 0x12, ...raw.subarray(2)])],
    ['an iv that is a str, not bin', withByte(ivAt, 0xd9)],
    ['a 15-byte iv header', withByte(ivAt + 1, 0x0f)],
    ['a 17-byte iv header', withByte(ivAt + 1, 0x11)],
    ['a nonce length past the end', withByte(ivAt + 2 + 16 + 1, 0xff)],
    ['a sealed length past the end', withByte(ivAt + 2 + 16 + 2 + 12 + 1, 0xff)],
    ['a truncated array', raw.subarray(0, ivAt + 5)],
    ['just the array header', Uint8Array.of(0x95)],
  ]
  for (const [why, ct] of cases) it(`rejects ${why}`, () => expectNotAuthentic(key, ct, ctx))
})

describe('fuzz: arbitrary bytes only ever raise DecryptError', () => {
  const keys: KeyVersion[] = [
    { algorithm: 'AES256', key: randomBytes(32) },
    { algorithm: 'ChaCha20', key: randomBytes(32) },
  ]
  const seeds = OWN.map((v) => (v.format === 'json' ? text(v.ciphertext) : b64(v.ciphertext)))

  it('random bytes, legacy-looking prefixes and mutated vectors (bounded: 1000 inputs)', () => {
    for (let i = 0; i < 1000; i++) {
      let ct: Uint8Array
      if (i % 3 === 0) {
        ct = randomBytes(i % 120)
      } else if (i % 3 === 1) {
        ct = new Uint8Array([i % 2 ? 0x95 : 0x7b, ...randomBytes(i % 90)])
      } else {
        const seed = seeds[i % seeds.length]!
        ct = Uint8Array.from(seed)
        for (let j = 0; j < 1 + (i % 4); j++) ct[(i * 7 + j * 13) % ct.length] = randomBytes(1)[0]!
        ct = ct.subarray(0, ct.length - (i % 5))
      }
      for (const key of keys) {
        const err = failure(key, ct, i % 2 ? undefined : randomBytes(4))
        expect(err).toBeInstanceOf(DecryptError)
      }
    }
  })
})
