import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DecryptError, decrypt, encrypt } from '../../../src/kms/crypto/ciphertext.js'
import type { KeyAlgorithm, KeyVersion } from '../../../src/kms/crypto/key.js'

const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'))
const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const keyOf = (algorithm: KeyAlgorithm, key: string | Uint8Array): KeyVersion =>
  ({ algorithm, key: typeof key === 'string' ? b64(key) : key })
const ZERO = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='
const MESSAGE = 'decryption failed: ciphertext is not authentic'

/** Asserts the one failure mode: a DecryptError with KES's exact text. */
function expectNotAuthentic(key: KeyVersion, ct: Uint8Array, ctx?: Uint8Array): void {
  let err: unknown
  try {
    decrypt(key, ct, ctx)
  } catch (e) {
    err = e
  }
  expect(err).toBeInstanceOf(DecryptError)
  expect((err as Error).message).toBe(MESSAGE)
}

interface Vector {
  algorithm: KeyAlgorithm
  format: 'current' | 'msgpack' | 'json'
  key: string
  context: string
  plaintext: string
  ciphertext: string
}
const OWN: Vector[] = (JSON.parse(readFileSync(join(import.meta.dirname, 'vectors.json'), 'utf8')) as { vectors: Vector[] }).vectors
const ctBytes = (v: Vector): Uint8Array => (v.format === 'json' ? text(v.ciphertext) : b64(v.ciphertext))
const other = (a: KeyAlgorithm): KeyAlgorithm => (a === 'AES256' ? 'ChaCha20' : 'AES256')

describe('decrypt: our vectors (made by the independent Python implementation)', () => {
  it('covers every format, both algorithms, with and without context', () => {
    const combos = new Set(OWN.map((v) => `${v.format}/${v.algorithm}/${v.context === '' ? 'no-ctx' : 'ctx'}`))
    expect(combos.size).toBe(12)
  })

  for (const [i, v] of OWN.entries()) {
    it(`#${i} ${v.format} ${v.algorithm} ${v.context === '' ? 'no context' : 'context'}`, () => {
      const pt = decrypt(keyOf(v.algorithm, v.key), ctBytes(v), b64(v.context))
      expect(Buffer.from(pt).toString('base64')).toBe(v.plaintext)

      // Legacy containers record their algorithm, which wins over the key's (KES ≤ v0.22);
      // the current format has only the key's algorithm to go by.
      const crossed = keyOf(other(v.algorithm), v.key)
      if (v.format === 'current') expectNotAuthentic(crossed, ctBytes(v), b64(v.context))
      else expect(Buffer.from(decrypt(crossed, ctBytes(v), b64(v.context))).toString('base64')).toBe(v.plaintext)
    })
  }
})

// Vectors from minio/kes internal/crypto/key_test.go (secretKeyDecryptTests): data made by KES.
const KES: { alg: KeyAlgorithm; key: string; ct: Uint8Array; pt?: string; ctx?: string; why?: string }[] = [
  { alg: 'AES256', key: ZERO, pt: 'AAAAAAAAAAAAAAAAAAAAAA==', ct: text('{"aead":"AES-256-GCM-HMAC-SHA-256","iv":"xLxIN3tSCkg2xMafuvwUwg==","nonce":"gu0mGwUkwcvMEoi5","bytes":"WVgRjeIJm3w50C/l+y7y2i6mbNg5NCAqN1zvOYWZKmc="}') },
  { alg: 'ChaCha20', key: ZERO, pt: 'AAAAAAAAAAAAAAAAAAAAAA==', ct: text('{"aead":"ChaCha20Poly1305","iv":"s3fSZ6vk5m+DfQA8yZWeUg==","nonce":"8/kHMnCMs3h9NZ2a","bytes":"cw22HjLq/4cx8507SW4hhSrYbDiMuRao4b5+GE+XfbE="}') },
  { alg: 'ChaCha20', key: ZERO, pt: 'AAAAAAAAAAAAAAAAAAAAAA==', ct: text('{"aead":"ChaCha20Poly1305","id":"66687aadf862bd776c8fc18b8e9f8e20","iv":"EC0eZp7Pqt+LnkOae5xaAg==","nonce":"X1ejXKmH/ugFZPkk","bytes":"wIGBTDs6aOvsqJfekZ0PYRT/OHyFX2TXqeNwl1SLXOI="}') },
  { alg: 'AES256', key: ZERO, pt: 'AAAAAAAAAAAAAAAAAAAAAA==', ct: b64('lbFBRVMyNTYtR0NNX1NIQTI1NtkgNjY2ODdhYWRmODYyYmQ3NzZjOGZjMThiOGU5ZjhlMjDEEExv7LAd4oz0SaHZrX5LBufEDEKME1ow1CDfUFrqv8QgJuy7Sw+jVqz99TK1HV851LT3K4mwwDv46TB2ngWkAJQ=') },
  { alg: 'ChaCha20', key: ZERO, pt: 'AAAAAAAAAAAAAAAAAAAAAA==', ct: b64('lbJYQ0hBQ0hBMjAtUE9MWTEzMDXZIDY2Njg3YWFkZjg2MmJkNzc2YzhmYzE4YjhlOWY4ZTIwxBBAr+aptD4x2+qfOhiErbnkxAxYs8RmNC1JJXD1hiHEIJ2KqM0jjkME7ndx8nyVseesN83Np0rM5ejVUun+fNFu') },
  { alg: 'AES256', key: ZERO, pt: 'AAAAAAAAAAAAAAAAAAAAAA==', ct: b64('zwdDgHeRlIFRnJ7+DIhs/ka7GFK2CFSfDELqg1VCyTQzZ58o7MAdupMLk3ZjlMo2ZUDwldL2o41nAWDc') },
  { alg: 'AES256', key: 'dDHbTWgo+Yh3u804SYB5OyVMy6RiLeJYBQth1f6KlEU=', pt: 'CLcJoykFCWZDkEIiUq9bJRqwCwW9ZDvdgu8EMA==', ctx: 'AAAAAAAAAAAAAAAAAAAAAA==', ct: b64('s2gmfQHeGdlyL8x1yEWSACUV3GrSoz3t160hugMgzKWgyqesXDVUJ5Dw5Mt076rR1PNiU9X4YjLH14D8a81t2r2xsz4gVZac') },
  { alg: 'ChaCha20', key: 'dDHbTWgo+Yh3u804SYB5OyVMy6RiLeJYBQth1f6KlEU=', pt: 'CLcJoykFCWZDkEIiUq9bJRqwCwW9ZDvdgu8EMA==', ctx: 'AAAAAAAAAAAAAAAAAAAAAA==', ct: b64('gO4woRIswAJdjUjW7z2ApsSQxJlwB24yjLrmH4eI7sB0uh5nfEJfk9ybTPFft5FRFaZCVBmzhx7OJs9n0WWtxH3sySIxecIK') },
  { alg: 'AES256', key: ZERO, why: 'unknown aead name', ct: text('{"aead":"AES-256-GCM","iv":"xLxIN3tSCkg2xMafuvwUwg==","nonce":"gu0mGwUkwcvMEoi5","bytes":"WVgRjeIJm3w50C/l+y7y2i6mbNg5NCAqN1zvOYWZKmc="}') },
  { alg: 'AES256', key: ZERO, why: '20-byte iv', ct: text('{"aead":"AES-256-GCM-HMAC-SHA-256","iv":"EjOY4JKqjIrPmQ5z1KSR8zlhggY=","nonce":"gu0mGwUkwcvMEoi5","bytes":"WVgRjeIJm3w50C/l+y7y2i6mbNg5NCAqN1zvOYWZKmc="}') },
  { alg: 'ChaCha20', key: ZERO, why: '8-byte nonce', ct: text('{"aead":"ChaCha20Poly1305","iv":"s3fSZ6vk5m+DfQA8yZWeUg==","nonce":"SXAbms731/c=","bytes":"cw22HjLq/4cx8507SW4hhSrYbDiMuRao4b5+GE+XfbE="}') },
  { alg: 'AES256', key: ZERO, why: '8-byte nonce', ct: text('{"aead":"AES-256-GCM-HMAC-SHA-256","iv":"xLxIN3tSCkg2xMafuvwUwg==","nonce":"efY+4kYF9n8=","bytes":"WVgRjeIJm3w50C/l+y7y2i6mbNg5NCAqN1zvOYWZKmc="}') },
  { alg: 'AES256', key: ZERO, why: 'not authentic', ct: text('{"aead":"AES-256-GCM-HMAC-SHA-256","iv":"xLxIN3tSCkg2xMafuvwUwg==","nonce":"gu0mGwUkwcvMEoi5","bytes":"QTza1g5oX3f9cGJMbY1xJwWPj1F7R2VnNl6XpFKYQy0="}') },
  { alg: 'ChaCha20', key: ZERO, why: 'not authentic', ct: text('{"aead":"ChaCha20Poly1305","iv":"s3fSZ6vk5m+DfQA8yZWeUg==","nonce":"8/kHMnCMs3h9NZ2a","bytes":"TTi8pkO+Jh1JWAHvPxZeUk/iVoBPUCE4ZSVGBy3fW2s="}') },
  { alg: 'AES256', key: ZERO, why: 'malformed JSON', ct: text('{"aead":"AES-256-GCM-HMAC-SHA-256" "iv":"xLxIN3tSCkg2xMafuvwUwg==","nonce":"gu0mGwUkwcvMEoi5","bytes":"WVgRjeIJm3w50C/l+y7y2i6mbNg5NCAqN1zvOYWZKmc="}') },
]

describe("decrypt: KES's own vectors", () => {
  for (const [i, v] of KES.entries()) {
    it(`#${i} ${v.why ?? 'decrypts'}`, () => {
      const key = keyOf(v.alg, v.key)
      const ctx = v.ctx === undefined ? undefined : b64(v.ctx)
      if (v.pt === undefined) return expectNotAuthentic(key, v.ct, ctx)
      expect(Buffer.from(decrypt(key, v.ct, ctx)).toString('base64')).toBe(v.pt)
    })
  }
})

describe('encrypt', () => {
  for (const alg of ['AES256', 'ChaCha20'] as const) {
    it(`${alg}: round-trips, adds 44 bytes, and never repeats itself`, () => {
      const key = keyOf(alg, randomBytes(32))
      for (const [pt, ctx] of [[text(''), undefined], [randomBytes(32), text('ctx')], [randomBytes(1000), randomBytes(7)]] as const) {
        const ct = encrypt(key, pt, ctx)
        expect(ct.length).toBe(pt.length + 44)
        expect(Buffer.from(decrypt(key, ct, ctx)).equals(pt)).toBe(true)
        expect(Buffer.from(encrypt(key, pt, ctx)).equals(ct)).toBe(false)
      }
    })

    it(`${alg}: an absent context equals an empty one`, () => {
      const key = keyOf(alg, randomBytes(32))
      const ct = encrypt(key, text('data'))
      expect(decrypt(key, ct, new Uint8Array(0))).toEqual(text('data'))
      expect(decrypt(key, encrypt(key, text('data'), new Uint8Array(0)))).toEqual(text('data'))
    })
  }

  it('refuses a master key that is not 32 bytes', () => {
    expect(() => encrypt(keyOf('AES256', randomBytes(31)), text('x'))).toThrow(RangeError)
    expect(() => encrypt(keyOf('ChaCha20', randomBytes(33)), text('x'))).toThrow(RangeError)
  })

  it('falls back to the current format when a ciphertext merely starts like a legacy one', () => {
    const key = keyOf('AES256', randomBytes(32))
    const found = new Set<number>()
    // 1 in 128 ciphertexts begins with 0x95 or '{'; 20000 tries miss both with odds ~1e-34.
    for (let i = 0; i < 20000 && found.size < 2; i++) {
      const ct = encrypt(key, text('lookalike'))
      if (ct[0] === 0x95 || ct[0] === 0x7b) {
        found.add(ct[0])
        expect(decrypt(key, ct)).toEqual(text('lookalike'))
      }
    }
    expect(found.size).toBe(2)
  })
})
