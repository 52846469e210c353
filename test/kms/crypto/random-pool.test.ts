/**
 * The random pool hands out every byte once: outputs are independent buffers, never repeat
 * across pool refills, and odd sizes are refused.
 */
import { describe, expect, it } from 'vitest'
import { randomPooled } from '../../../src/kms/crypto/random-pool.js'

describe('randomPooled', () => {
  it('returns distinct 32-byte values across several pool refills', () => {
    // 4096-byte pool: 1000 × 32 bytes refills it about eight times.
    const seen = new Set<string>()
    for (let i = 0; i < 1000; i++) {
      const b = randomPooled(32)
      expect(b.length).toBe(32)
      seen.add(b.toString('hex'))
    }
    expect(seen.size).toBe(1000)
  })

  it('gives the caller its own buffer: zeroing one leaves the next draw random', () => {
    const a = randomPooled(28)
    const copy = Buffer.from(a)
    a.fill(0)
    const b = randomPooled(28)
    expect(b.equals(Buffer.alloc(28))).toBe(false)
    expect(b.equals(copy)).toBe(false)
    expect(a.buffer).not.toBe(b.buffer)
  })

  it('serves sizes beyond the pooled limit and an empty request', () => {
    expect(randomPooled(10_000).length).toBe(10_000)
    expect(randomPooled(0).length).toBe(0)
  })

  it('refuses negative and fractional sizes', () => {
    expect(() => randomPooled(-1)).toThrow(RangeError)
    expect(() => randomPooled(1.5)).toThrow(RangeError)
  })
})
