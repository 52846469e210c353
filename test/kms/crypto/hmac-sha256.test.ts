import { createHmac, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { hmacSha256 } from '../../../src/kms/crypto/hmac-sha256.js'

describe('hmacSha256 (one-shot HMAC for the key derivation)', () => {
  it('equals createHmac for every key and message length it accepts', () => {
    for (let k = 0; k <= 64; k += 1) {
      for (const m of [0, 1, 16, 31, 32, 33, 63, 64]) {
        const key = randomBytes(k)
        const msg = randomBytes(m)
        expect(hmacSha256(key, msg).toString('hex')).toBe(createHmac('sha256', key).update(msg).digest('hex'))
      }
    }
  })

  it('matches RFC 4231 test case 2 and does not depend on the previous call', () => {
    const want = '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'
    hmacSha256(Buffer.alloc(64, 0xff), Buffer.alloc(64, 0xff))
    expect(hmacSha256(Buffer.from('Jefe'), Buffer.from('what do ya want for nothing?')).toString('hex')).toBe(want)
  })

  it('refuses keys and messages longer than one block', () => {
    expect(() => hmacSha256(Buffer.alloc(65), Buffer.alloc(16))).toThrow(RangeError)
    expect(() => hmacSha256(Buffer.alloc(32), Buffer.alloc(65))).toThrow(RangeError)
  })
})
