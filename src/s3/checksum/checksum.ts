/**
 * Object checksums as S3 defines them (x-amz-checksum-crc32, -crc32c, -crc64nvme, -sha1, -sha256): incremental
 * hashers producing base64 values. CRC32C (Castagnoli) is computed here with a slicing-by-8 table, CRC64NVME in
 * crc64nvme.ts.
 *
 * @module
 */
import { createHash, type Hash } from 'node:crypto'
import { crc32 } from 'node:zlib'
import { crc64Bytes, crc64nvme, CRC64_INIT, type Crc64 } from './crc64nvme.js'
import { s3err } from '../api/errors.js'

/** ChecksumAlgorithm is one of the algorithms S3 accepts. */
export type ChecksumAlgorithm = 'CRC32' | 'CRC32C' | 'CRC64NVME' | 'SHA1' | 'SHA256'

/** ALGORITHMS lists the supported algorithms. */
const ALGORITHMS: readonly ChecksumAlgorithm[] = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256']

/** Hasher is an incremental checksum. */
export interface Hasher {
  update(data: Buffer): void
  /** digest returns the raw checksum bytes. */
  digest(): Buffer
}

const CRC32C_TABLES: Uint32Array[] = (() => {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256))
  for (let i = 0; i < 256; i++) {
    let c = i
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
    tables[0]![i] = c >>> 0
  }
  for (let i = 0; i < 256; i++) {
    for (let t = 1; t < 8; t++) {
      const prev = tables[t - 1]![i]!
      tables[t]![i] = (tables[0]![prev & 0xff]! ^ (prev >>> 8)) >>> 0
    }
  }
  return tables
})()

/** crc32c updates a CRC32C (Castagnoli) value with data; start with 0. */
export function crc32c(data: Buffer, value = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = CRC32C_TABLES as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array]
  let c = ~value >>> 0
  let i = 0
  const n = data.length
  for (; i + 8 <= n; i += 8) {
    const a = (c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0
    c = t7[a & 0xff]! ^ t6[(a >>> 8) & 0xff]! ^ t5[(a >>> 16) & 0xff]! ^ t4[a >>> 24]!
      ^ t3[data[i + 4]!]! ^ t2[data[i + 5]!]! ^ t1[data[i + 6]!]! ^ t0[data[i + 7]!]!
  }
  for (; i < n; i++) c = t0[(c ^ data[i]!) & 0xff]! ^ (c >>> 8)
  return ~c >>> 0
}

class CrcHasher implements Hasher {
  private value = 0
  constructor(private readonly fn: (data: Buffer, value: number) => number) {}
  update(data: Buffer): void { this.value = this.fn(data, this.value) }
  digest(): Buffer {
    const out = Buffer.alloc(4)
    out.writeUInt32BE(this.value >>> 0)
    return out
  }
}

class Crc64Hasher implements Hasher {
  private value: Crc64 = CRC64_INIT
  update(data: Buffer): void { this.value = crc64nvme(data, this.value) }
  digest(): Buffer { return crc64Bytes(this.value) }
}

class CryptoHasher implements Hasher {
  private readonly hash: Hash
  constructor(name: string) { this.hash = createHash(name) }
  update(data: Buffer): void { this.hash.update(data) }
  digest(): Buffer { return this.hash.digest() }
}

/** newHasher makes an incremental hasher for an algorithm. */
export function newHasher(algorithm: ChecksumAlgorithm): Hasher {
  switch (algorithm) {
    case 'CRC32': return new CrcHasher((d, v) => crc32(d, v))
    case 'CRC32C': return new CrcHasher(crc32c)
    case 'CRC64NVME': return new Crc64Hasher()
    case 'SHA1': return new CryptoHasher('sha1')
    case 'SHA256': return new CryptoHasher('sha256')
  }
}

/** checksumHeader is the header carrying an algorithm's value (x-amz-checksum-crc32, ...). */
export function checksumHeader(algorithm: ChecksumAlgorithm): string {
  return `x-amz-checksum-${algorithm.toLowerCase()}`
}

/** parseAlgorithm validates an x-amz-checksum-algorithm / x-amz-sdk-checksum-algorithm value; throws S3Error InvalidRequest. */
export function parseAlgorithm(value: string): ChecksumAlgorithm {
  const upper = value.toUpperCase()
  if ((ALGORITHMS as readonly string[]).includes(upper)) return upper as ChecksumAlgorithm
  throw s3err('InvalidRequest', 'Value for x-amz-checksum-algorithm header is invalid.')
}

/** algorithmOfHeader maps a header or trailer name to its algorithm; undefined if it is not a checksum header. */
export function algorithmOfHeader(name: string): ChecksumAlgorithm | undefined {
  const lower = name.toLowerCase()
  return ALGORITHMS.find((a) => checksumHeader(a) === lower)
}
