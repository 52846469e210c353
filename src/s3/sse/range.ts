/**
 * Range reads of encrypted objects (MinIO `GetDecryptedRange`): which stored bytes to read, and
 * how to decrypt them, so that only the packages covering the requested plaintext are touched.
 *
 * @module
 */
import { MAX_PACKAGE, MAX_PAYLOAD, decryptedSize } from './dare.js'

/** One stored part of an encrypted object, in object order. */
export interface StoredPart {
  /** S3 part number (its key is derived from it); 0 or absent for single-part objects. */
  number: number
  /** Stored (encrypted) size in bytes. */
  encSize: number
}

/** A segment of the read: stored bytes of one part. */
export interface RangeSegment {
  /** Index into the parts array. */
  part: number
  startSeq: number
  encBytes: number
  toEnd: boolean
}

/** The result of {@link planRange}. */
export interface RangePlan {
  /** Offset of the first stored byte to read, from the start of the object. */
  encOffset: number
  /** Number of stored bytes to read. */
  encLength: number
  segments: RangeSegment[]
  skip: number
  length: number
}

/** plainSizes returns the plaintext size of each stored part. Throws DareError on an impossible size. */
function plainSizes(parts: readonly StoredPart[]): number[] {
  return parts.map((p) => decryptedSize(p.encSize))
}

/**
 * planRange maps the plaintext window [offset, offset + length) onto stored bytes. The caller has
 * already validated the window against the plaintext size (length may be 0). Throws RangeError if
 * the window lies outside the object.
 */
export function planRange(parts: readonly StoredPart[], offset: number, length: number): RangePlan {
  const sizes = plainSizes(parts)
  const total = sizes.reduce((a, b) => a + b, 0)
  if (offset < 0 || length < 0 || offset + length > total) throw new RangeError('range outside the object')
  const plan: RangePlan = { encOffset: 0, encLength: 0, segments: [], skip: 0, length }
  if (length === 0) return plan

  const end = offset + length // exclusive
  let plainStart = 0
  let encStart = 0
  let started = false
  for (let i = 0; i < parts.length; i++) {
    const size = sizes[i]!
    const encSize = parts[i]!.encSize
    const plainEnd = plainStart + size
    if (size > 0 && plainEnd > offset && plainStart < end) {
      const from = Math.max(offset, plainStart) - plainStart
      const to = Math.min(end, plainEnd) - plainStart // exclusive, within the part
      const firstPkg = Math.floor(from / MAX_PAYLOAD)
      const lastPkg = Math.floor((to - 1) / MAX_PAYLOAD)
      const encFrom = firstPkg * MAX_PACKAGE
      const encTo = Math.min((lastPkg + 1) * MAX_PACKAGE, encSize)
      if (!started) {
        plan.encOffset = encStart + encFrom
        plan.skip = from - firstPkg * MAX_PAYLOAD
        started = true
      }
      plan.segments.push({ part: i, startSeq: firstPkg, encBytes: encTo - encFrom, toEnd: encTo === encSize })
      plan.encLength += encTo - encFrom
    }
    plainStart = plainEnd
    encStart += encSize
    if (plainStart >= end) break
  }
  return plan
}
