import { createCipheriv, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { hchacha20 } from '../../../src/kms/crypto/hchacha20.js'

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))

/**
 * An independent route to HChaCha20 through OpenSSL's ChaCha20: with the 16-byte "iv" used as
 * counter ‖ nonce, the first keystream block is rounds(state) + state. HChaCha20 is
 * rounds(state) without the addition, in words 0..3 and 12..15, so subtracting the input words
 * back out must give our output.
 */
function viaOpenSsl(key: Uint8Array, nonce: Uint8Array): Uint8Array {
  const block = createCipheriv('chacha20', key, nonce).update(Buffer.alloc(64))
  const sigma = Buffer.from('expand 32-byte k')
  const out = Buffer.alloc(32)
  for (let i = 0; i < 4; i++) {
    out.writeUInt32LE((block.readUInt32LE(4 * i) - sigma.readUInt32LE(4 * i)) >>> 0, 4 * i)
    out.writeUInt32LE((block.readUInt32LE(48 + 4 * i) - Buffer.from(nonce).readUInt32LE(4 * i)) >>> 0, 16 + 4 * i)
  }
  return new Uint8Array(out)
}

describe('hchacha20', () => {
  it('matches the test vector of draft-irtf-cfrg-xchacha §2.2.1', () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i)
    const out = hchacha20(key, hex('000000090000004a0000000031415927'))
    expect(Buffer.from(out).toString('hex')).toBe('82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc')
  })

  it('agrees with OpenSSL ChaCha20 on 100 random inputs', () => {
    for (let i = 0; i < 100; i++) {
      const key = new Uint8Array(randomBytes(32))
      const nonce = new Uint8Array(randomBytes(16))
      expect(Buffer.from(hchacha20(key, nonce)).equals(viaOpenSsl(key, nonce))).toBe(true)
    }
  })

  it('works on views into larger buffers', () => {
    const buf = new Uint8Array(randomBytes(64))
    const key = buf.subarray(3, 35)
    const nonce = buf.subarray(40, 56)
    expect(hchacha20(key, nonce)).toEqual(hchacha20(Uint8Array.from(key), Uint8Array.from(nonce)))
  })

  it('rejects wrong sizes', () => {
    expect(() => hchacha20(new Uint8Array(31), new Uint8Array(16))).toThrow(RangeError)
    expect(() => hchacha20(new Uint8Array(32), new Uint8Array(12))).toThrow(RangeError)
  })
})
