import { randomBytes, randomInt } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { newHasher } from '../../src/s3/checksum/checksum.js'
import { crc32Combine, type Crc32Algorithm } from '../../src/s3/checksum/crc-combine.js'

/** The direct CRC, through the same hashers keyhold-s3 checks bodies with (zlib crc32, the CRC32C tables). */
function direct(algorithm: Crc32Algorithm, data: Buffer): number {
  const h = newHasher(algorithm)
  h.update(data)
  return h.digest().readUInt32BE(0)
}

describe.each(['CRC32', 'CRC32C'] as const)('%s combine', (algorithm) => {
  it('matches the catalogue check value through the hasher (the reference is right)', () => {
    const check = { CRC32: 0xcbf43926, CRC32C: 0xe3069283 }[algorithm]
    expect(direct(algorithm, Buffer.from('123456789'))).toBe(check)
  })

  it('gives the CRC of a concatenation for random splits, empty and one-byte pieces included', () => {
    for (let round = 0; round < 40; round++) {
      const fixed = round < 5
      const a = randomBytes(fixed ? [0, 1, 2, 7, 64][round]! : randomInt(0, 5000))
      const b = randomBytes(fixed ? [0, 1, 3, 8, 4096][4 - round]! : randomInt(0, 70_000))
      expect(crc32Combine(algorithm, direct(algorithm, a), direct(algorithm, b), b.length))
        .toBe(direct(algorithm, Buffer.concat([a, b])))
    }
  })

  it('folds many parts, large ones included, with a shared shift cache', () => {
    const parts = [randomBytes(5 * 1024 * 1024), randomBytes(5 * 1024 * 1024), Buffer.alloc(0), randomBytes(1), randomBytes(123_457)]
    const cache = new Map<number, number>()
    let crc = direct(algorithm, Buffer.alloc(0))
    for (const p of parts) crc = crc32Combine(algorithm, crc, direct(algorithm, p), p.length, cache)
    expect(crc).toBe(direct(algorithm, Buffer.concat(parts)))
    expect(cache.get(5 * 1024 * 1024)).toBeTypeOf('number')
  })

  it('shifts lengths past 4 GiB consistently and refuses invalid lengths', () => {
    const a = direct(algorithm, Buffer.from('a'))
    const big = 2 ** 33 + 12345
    // Appending big zero-CRC operators stepwise must equal appending their sum at once.
    const stepwise = crc32Combine(algorithm, crc32Combine(algorithm, a, 0, big), 0, 6789)
    expect(crc32Combine(algorithm, a, 0, big + 6789)).toBe(stepwise)
    // And 1 MiB of zeros appended by the operator equals the direct CRC of those zeros.
    const zeros = Buffer.alloc(1024 * 1024)
    expect(crc32Combine(algorithm, a, direct(algorithm, zeros), zeros.length)).toBe(direct(algorithm, Buffer.concat([Buffer.from('a'), zeros])))
    expect(() => crc32Combine(algorithm, a, 0, -1)).toThrow(RangeError)
    expect(() => crc32Combine(algorithm, a, 0, 1.5)).toThrow(RangeError)
    expect(() => crc32Combine(algorithm, a, 0, 2 ** 53)).toThrow(RangeError)
  })
})
