import { describe, expect, it } from 'vitest'
import { NoHmacKeyError, hmac } from '../../../src/kms/crypto/hmac.js'
import { generateKeyVersion } from '../../../src/kms/crypto/key.js'

const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

describe('hmac', () => {
  it('is HMAC-SHA256 under the HMAC key (RFC 4231 test cases 2 and 6)', () => {
    const k = { key: new Uint8Array(32), algorithm: 'AES256' as const, hmacKey: text('Jefe') }
    expect(hex(hmac(k, text('what do ya want for nothing?'))))
      .toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843')
    const long = { ...k, hmacKey: new Uint8Array(131).fill(0xaa) }
    expect(hex(hmac(long, text('Test Using Larger Than Block-Size Key - Hash Key First'))))
      .toBe('60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54')
  })

  it('uses the HMAC key, not the master key', () => {
    const k = generateKeyVersion('me')
    const swapped = { ...k, hmacKey: k.key }
    expect(hmac(k, text('m'))).toHaveLength(32)
    expect(hmac(k, text('m'))).not.toEqual(hmac(swapped, text('m')))
    expect(hmac(k, text('m'))).toEqual(hmac({ ...k }, text('m')))
  })

  it('throws NoHmacKeyError for a legacy key', () => {
    expect(() => hmac({ key: new Uint8Array(32), algorithm: 'AES256' }, text('m'))).toThrow(NoHmacKeyError)
  })
})
