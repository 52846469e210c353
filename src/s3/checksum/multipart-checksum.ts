/**
 * The checksum of a completed multipart object, as S3 forms it (AWS "Checking object integrity": full object
 * versus composite checksums). FULL_OBJECT is the CRC of the whole byte stream, derived here from the parts'
 * CRCs and sizes without re-reading them, shown without a part-count suffix: always so for CRC64NVME, on request
 * (x-amz-checksum-type) for CRC32 and CRC32C. COMPOSITE, the default of CRC32, CRC32C, SHA1 and SHA256, is the
 * checksum of the concatenated binary part checksums, shown as `value-N`.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'
import { algorithmOfHeader, newHasher, type ChecksumAlgorithm } from './checksum.js'
import { crc32Combine, type Crc32Algorithm } from './crc-combine.js'
import { crc64Bytes, crc64Combine, crc64FromBytes, CRC64_INIT, type Crc64 } from './crc64nvme.js'
import { s3err } from '../api/errors.js'
import type { PartRow, StoredChecksum } from '../storage/meta.js'

/** ChecksumType is how a multipart object's checksum is formed. */
export type ChecksumType = 'FULL_OBJECT' | 'COMPOSITE'

/** checksumTypeOf tells how S3 forms a multipart checksum for an algorithm (its default type). */
export function checksumTypeOf(algorithm: string): ChecksumType {
  return algorithm === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE'
}

/**
 * checkChecksumType validates a CreateMultipartUpload's x-amz-checksum-type against its algorithm and returns
 * the type the upload's checksum takes (null without an algorithm). As in S3, CRC64NVME is FULL_OBJECT only,
 * SHA1/SHA256 COMPOSITE only, CRC32/CRC32C either. Throws S3Error InvalidRequest.
 */
export function checkChecksumType(algorithm: string | null, type: string | undefined): ChecksumType | null {
  if (type === undefined) return algorithm === null ? null : checksumTypeOf(algorithm)
  const upper = type.toUpperCase()
  if (upper !== 'FULL_OBJECT' && upper !== 'COMPOSITE') {
    throw s3err('InvalidRequest', 'Value for x-amz-checksum-type header is invalid.')
  }
  if (algorithm === null) {
    throw s3err('InvalidRequest', 'The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.')
  }
  if (upper === checksumTypeOf(algorithm)) return upper
  if (upper === 'FULL_OBJECT' && isCrc32(algorithm)) return upper
  throw s3err('InvalidRequest', `The ${upper} checksum type cannot be used with the ${algorithm.toLowerCase()} checksum algorithm.`)
}

function isCrc32(algorithm: string): algorithm is Crc32Algorithm {
  return algorithm === 'CRC32' || algorithm === 'CRC32C'
}

/**
 * checkCompleteChecksumType compares the x-amz-checksum-type of a CompleteMultipartUpload, if any, with the
 * type the upload was created with (S3 refuses a different one). Throws S3Error InvalidRequest.
 */
export function checkCompleteChecksumType(uploadType: ChecksumType | null, type: string | undefined): void {
  if (type === undefined || type.toUpperCase() === uploadType) return
  throw s3err('InvalidRequest', `The upload was created using the ${uploadType ?? 'null'} checksum mode. The complete request must use the same checksum mode.`)
}

/** fullObjectCrc folds the parts' CRCs (raw big-endian values) into the CRC of their concatenation; null on a malformed value. */
function fullObjectCrc(algorithm: string, values: Buffer[], sizes: number[]): Buffer | null {
  if (algorithm === 'CRC64NVME') {
    let crc: Crc64 = CRC64_INIT
    const cache = new Map<number, Crc64>()
    for (const [i, v] of values.entries()) {
      if (v.length !== 8) return null
      crc = crc64Combine(crc, crc64FromBytes(v), sizes[i]!, cache)
    }
    return crc64Bytes(crc)
  }
  if (!isCrc32(algorithm)) return null
  let crc = 0 // the CRC32/CRC32C of no bytes
  const cache = new Map<number, number>()
  for (const [i, v] of values.entries()) {
    if (v.length !== 4) return null
    crc = crc32Combine(algorithm, crc, v.readUInt32BE(0), sizes[i]!, cache)
  }
  const out = Buffer.alloc(4)
  out.writeUInt32BE(crc)
  return out
}

/**
 * multipartChecksum computes a completed upload's checksum of the given type (by default the algorithm's)
 * from its parts (each stored as `ALGO:base64`); null when the upload has no algorithm or a part lacks its
 * checksum. Throws nothing.
 */
export function multipartChecksum(algorithm: string | null, parts: ReadonlyArray<Pick<PartRow, 'size' | 'checksum'>>,
  type: ChecksumType | null = algorithm === null ? null : checksumTypeOf(algorithm)): StoredChecksum | null {
  if (algorithm === null) return null
  const values: Buffer[] = []
  for (const p of parts) {
    const [algo, value] = (p.checksum ?? '').split(':')
    if (algo !== algorithm || value === undefined) return null
    values.push(Buffer.from(value, 'base64'))
  }
  if (type === 'FULL_OBJECT') {
    const whole = fullObjectCrc(algorithm, values, parts.map((p) => p.size))
    return whole === null ? null : { algorithm, value: whole.toString('base64'), type: 'FULL_OBJECT' }
  }
  const hasher = newHasher(algorithm as ChecksumAlgorithm)
  for (const v of values) hasher.update(v)
  return { algorithm, value: hasher.digest().toString('base64'), type: 'COMPOSITE' }
}

/** shownChecksum renders a stored multipart checksum as clients see it: composite values carry `-partCount`. */
export function shownChecksum(checksum: StoredChecksum, partCount: number): string {
  return checksum.type === 'COMPOSITE' ? `${checksum.value}-${partCount}` : checksum.value
}

/** A whole-object checksum a client states on CompleteMultipartUpload. */
export interface ClaimedChecksum {
  algorithm: ChecksumAlgorithm
  value: string
}

/**
 * takeClaimedChecksum removes and returns the x-amz-checksum-<algorithm> header of a CompleteMultipartUpload.
 * S3 reads it as the checksum of the whole object, not of the XML body, so it must not reach the body check.
 * The signature covering it has already been verified. Throws nothing.
 */
export function takeClaimedChecksum(req: IncomingMessage): ClaimedChecksum | undefined {
  for (const name of Object.keys(req.headers)) {
    const algorithm = algorithmOfHeader(name)
    if (algorithm === undefined) continue
    const raw = req.headers[name]
    delete req.headers[name]
    return { algorithm, value: (Array.isArray(raw) ? raw[0] : raw) ?? '' }
  }
  return undefined
}

/**
 * checkClaimedChecksum compares a claimed whole-object checksum with the one computed from the parts (a
 * composite value may be stated with or without its -N). Throws S3Error InvalidRequest (another algorithm than
 * the upload's), BadDigest (a different value).
 */
export function checkClaimedChecksum(claimed: ClaimedChecksum | undefined, computed: StoredChecksum | null, partCount: number): void {
  if (claimed === undefined) return
  if (computed === null || computed.algorithm !== claimed.algorithm) {
    const expected = computed === null ? 'null' : computed.algorithm.toLowerCase()
    throw s3err('InvalidRequest', `Checksum Type mismatch occurred, expected checksum Type: ${expected}, actual checksum Type: ${claimed.algorithm.toLowerCase()}`)
  }
  if (claimed.value !== computed.value && claimed.value !== shownChecksum(computed, partCount)) {
    throw s3err('BadDigest', `The ${claimed.algorithm} you specified did not match the calculated checksum.`)
  }
}
