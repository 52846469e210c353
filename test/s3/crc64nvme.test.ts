import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { newHasher, parseAlgorithm } from '../../src/s3/checksum/checksum.js'
import { crc64Bytes, crc64Combine, crc64nvme, type Crc64 } from '../../src/s3/checksum/crc64nvme.js'
import { S3Error } from '../../src/s3/api/errors.js'
import { checkChecksumType, multipartChecksum, shownChecksum } from '../../src/s3/checksum/multipart-checksum.js'

const hex = (c: Crc64): string => crc64Bytes(c).toString('hex')
const b64 = (data: Buffer): string => crc64Bytes(crc64nvme(data)).toString('base64')

function codeOf(fn: () => void): string {
  try {
    fn()
  } catch (err) {
    return err instanceof S3Error ? `${err.code}: ${err.message}` : String(err)
  }
  return 'ok'
}

describe('CRC-64/NVME', () => {
  it('matches the catalogue check value and the NVMe specification vectors', () => {
    expect(hex(crc64nvme(Buffer.from('123456789')))).toBe('ae8b14860a799888')
    expect(hex(crc64nvme(Buffer.alloc(4096, 0x00)))).toBe('6482d367eb22b64e')
    expect(hex(crc64nvme(Buffer.alloc(4096, 0xff)))).toBe('c0ddba7302eca3ac')
    expect(hex(crc64nvme(Buffer.alloc(0)))).toBe('0000000000000000')
    // As S3 and the SDKs send it: base64 of the big-endian value.
    expect(b64(Buffer.from('Hello, World!\n'))).toBe('SoXXbx67KpE=')
  })

  it('is incremental across any split and through the S3 hasher', () => {
    const data = randomBytes(10_000)
    const whole = hex(crc64nvme(data))
    for (const cut of [0, 1, 7, 8, 9, 4095, 9999, 10_000]) {
      expect(hex(crc64nvme(data.subarray(cut), crc64nvme(data.subarray(0, cut))))).toBe(whole)
    }
    const h = newHasher(parseAlgorithm('crc64nvme'))
    for (let i = 0; i < data.length; i += 333) h.update(data.subarray(i, i + 333))
    expect(h.digest().toString('hex')).toBe(whole)
  })

  it('combines part CRCs into the CRC of the whole, also past 4 GiB of length', () => {
    const parts = [randomBytes(5000), randomBytes(1), randomBytes(777), Buffer.alloc(0), randomBytes(4096)]
    let combined = crc64nvme(Buffer.alloc(0))
    for (const p of parts) combined = crc64Combine(combined, crc64nvme(p), p.length)
    expect(hex(combined)).toBe(hex(crc64nvme(Buffer.concat(parts))))
    // Shifting by L1 then by L2 must equal shifting by L1 + L2 at once (lengths past 2^32 included).
    const a = crc64nvme(Buffer.from('a'))
    const zero = { hi: 0, lo: 0 }
    const big = 2 ** 33 + 12345
    const stepwise = crc64Combine(crc64Combine(a, zero, big), zero, 6789)
    expect(hex(crc64Combine(a, zero, big + 6789))).toBe(hex(stepwise))
    expect(() => crc64Combine(a, zero, -1)).toThrow(RangeError)
  })
})

describe('multipart checksums', () => {
  it('forms CRC64NVME as FULL_OBJECT from the parts, others as COMPOSITE with -N', () => {
    const parts = [randomBytes(6000), randomBytes(3000)]
    const rows = parts.map((p) => ({ size: p.length, checksum: `CRC64NVME:${b64(p)}` }))
    const full = multipartChecksum('CRC64NVME', rows)
    expect(full).toEqual({ algorithm: 'CRC64NVME', value: b64(Buffer.concat(parts)), type: 'FULL_OBJECT' })
    expect(shownChecksum(full!, 2)).toBe(b64(Buffer.concat(parts)))
    const sha = parts.map((p) => { const h = newHasher('SHA256'); h.update(p); return h.digest() })
    const composite = multipartChecksum('SHA256', parts.map((p, i) => ({ size: p.length, checksum: `SHA256:${sha[i]!.toString('base64')}` })))
    const h = newHasher('SHA256')
    h.update(Buffer.concat(sha))
    expect(composite).toEqual({ algorithm: 'SHA256', value: h.digest().toString('base64'), type: 'COMPOSITE' })
    expect(shownChecksum(composite!, 2)).toMatch(/=-2$/)
    expect(multipartChecksum('CRC64NVME', [{ size: 1, checksum: 'CRC32:AAAAAA==' }])).toBeNull()
  })

  it('checks x-amz-checksum-type against the algorithm', () => {
    expect(codeOf(() => checkChecksumType('CRC64NVME', 'FULL_OBJECT'))).toBe('ok')
    expect(codeOf(() => checkChecksumType('SHA256', 'COMPOSITE'))).toBe('ok')
    expect(codeOf(() => checkChecksumType('CRC64NVME', 'COMPOSITE'))).toBe('InvalidRequest: The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.')
    expect(codeOf(() => checkChecksumType('SHA1', 'FULL_OBJECT'))).toMatch(/^InvalidRequest/)
    expect(codeOf(() => checkChecksumType('CRC32C', 'FULL_OBJECT'))).toBe('ok')
    expect(codeOf(() => checkChecksumType(null, 'FULL_OBJECT'))).toMatch(/^InvalidRequest/)
    expect(codeOf(() => checkChecksumType('CRC32', 'PARTIAL'))).toMatch(/^InvalidRequest/)
  })
})
