/**
 * Combining 32-bit CRCs: the CRC32 (zlib, reflected polynomial 0xedb88320) or CRC32C (Castagnoli, 0x82f63b78)
 * of a ‖ b from crc(a), crc(b) and b's length, without the bytes (zlib's crc32_combine construction:
 * crc(a ‖ b) = crc(a) · x^(8·|b|) mod P ⊕ crc(b); the init/xorout conditioning cancels out). A FULL_OBJECT
 * multipart checksum is built from the parts' CRCs this way. CRC64NVME has the same construction in
 * crc64nvme.ts, on its two-halves representation.
 *
 * @module
 */

/** Crc32Algorithm names the two 32-bit CRCs S3 offers. */
export type Crc32Algorithm = 'CRC32' | 'CRC32C'

/** The reflected generator polynomials (x^0 in the top bit). */
const POLY: Readonly<Record<Crc32Algorithm, number>> = { CRC32: 0xedb88320, CRC32C: 0x82f63b78 }

// In the reflected order a value's top bit is the coefficient of x^0 and bit 0 that of x^31, so multiplying
// by x is a right shift, reduced by P when x^31's coefficient falls off.

/** mulMod returns a·b mod P for the reflected polynomial `poly`. */
function mulMod(a: number, b: number, poly: number): number {
  let product = 0
  let m = b >>> 0
  for (let bit = 0x80000000; bit !== 0; bit >>>= 1) {
    if ((a & bit) !== 0) product ^= m
    m = (m & 1) !== 0 ? (m >>> 1) ^ poly : m >>> 1
  }
  return product >>> 0
}

/** xPow2[k] = x^(2^k) mod P, per polynomial: squaring steps for the shift operator. */
function powerTable(poly: number): Uint32Array {
  const table = new Uint32Array(64)
  table[0] = 0x40000000 // x^1
  for (let k = 1; k < 64; k++) table[k] = mulMod(table[k - 1]!, table[k - 1]!, poly)
  return table
}

const X_POW2: Readonly<Record<Crc32Algorithm, Uint32Array>> = { CRC32: powerTable(POLY.CRC32), CRC32C: powerTable(POLY.CRC32C) }

/** shiftOperator returns x^(8·bytes) mod P: what appending `bytes` bytes multiplies a CRC by. */
function shiftOperator(algorithm: Crc32Algorithm, bytes: number): number {
  const poly = POLY[algorithm]
  const pow = X_POW2[algorithm]
  let op = 0x80000000 // x^0
  // 8·bytes: start three squarings up; walk the bits of `bytes` by division, which stays exact past 2^32.
  let k = 3
  for (let n = bytes; n > 0; n = Math.floor(n / 2), k++) {
    if (n % 2 === 1) op = mulMod(pow[k]!, op, poly)
  }
  return op
}

/**
 * crc32Combine returns the CRC32 or CRC32C (as an unsigned 32-bit number) of a ‖ b from crc(a), crc(b) and
 * b's length. `shiftCache` may carry operators between calls of one algorithm: parts mostly share one size.
 * Throws RangeError for a negative, fractional or unsafe length.
 */
export function crc32Combine(algorithm: Crc32Algorithm, crcA: number, crcB: number, lengthB: number, shiftCache?: Map<number, number>): number {
  if (!Number.isSafeInteger(lengthB) || lengthB < 0) throw new RangeError('crc32: invalid length')
  let op = shiftCache?.get(lengthB)
  if (op === undefined) {
    op = shiftOperator(algorithm, lengthB)
    shiftCache?.set(lengthB, op)
  }
  return (mulMod(op, crcA, POLY[algorithm]) ^ crcB) >>> 0
}
