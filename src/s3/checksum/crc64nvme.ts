/**
 * CRC-64/NVME, the checksum S3 calls CRC64NVME (NVM Express NVM Command Set; reveng catalogue "CRC-64/NVME"):
 * width 64, polynomial 0xad93d23594c93659 processed bit-reflected (0x9a6c9329ac4bc9b5), init and xorout all
 * ones, reflected input and output; check value of "123456789" 0xae8b14860a799888.
 *
 * The 64-bit register is kept as two 32-bit halves (hi, lo) so the per-byte work stays in plain integer
 * arithmetic: BigInt would allocate per operation. Bulk input goes through a slicing-by-8 table.
 *
 * @module
 */

const POLY_HI = 0x9a6c9329
const POLY_LO = 0xac4bc9b5

/** Slicing tables: entry i of table t sits at t * 256 + i, its high half in T_HI and low half in T_LO. */
const T_HI = new Uint32Array(8 * 256)
const T_LO = new Uint32Array(8 * 256)
for (let i = 0; i < 256; i++) {
  let hi = 0
  let lo = i
  for (let k = 0; k < 8; k++) {
    const carry = lo & 1
    lo = ((lo >>> 1) | (hi << 31)) >>> 0
    hi >>>= 1
    if (carry !== 0) {
      hi = (hi ^ POLY_HI) >>> 0
      lo = (lo ^ POLY_LO) >>> 0
    }
  }
  T_HI[i] = hi
  T_LO[i] = lo
}
for (let t = 1; t < 8; t++) {
  for (let i = 0; i < 256; i++) {
    const hi = T_HI[(t - 1) * 256 + i]!
    const lo = T_LO[(t - 1) * 256 + i]!
    const idx = lo & 0xff
    T_HI[t * 256 + i] = (T_HI[idx]! ^ (hi >>> 8)) >>> 0
    T_LO[t * 256 + i] = (T_LO[idx]! ^ ((lo >>> 8) | (hi << 24))) >>> 0
  }
}

/** A 64-bit CRC value as two unsigned 32-bit halves. */
export interface Crc64 {
  hi: number
  lo: number
}

/** CRC64_INIT is the value to start {@link crc64nvme} with (the CRC of no bytes). */
export const CRC64_INIT: Readonly<Crc64> = Object.freeze({ hi: 0, lo: 0 })

/**
 * crc64nvme updates a finished CRC-64/NVME value with more data (start with {@link CRC64_INIT}), so
 * crc64nvme(b, crc64nvme(a)) equals crc64nvme(a ‖ b). Throws nothing.
 */
export function crc64nvme(data: Uint8Array, value: Crc64 = CRC64_INIT): Crc64 {
  // The register runs inverted (init all ones); the stored value is the final, re-inverted one.
  let hi = ~value.hi >>> 0
  let lo = ~value.lo >>> 0
  const n = data.length
  let i = 0
  for (; i + 8 <= n; i += 8) {
    const a = (lo ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0
    const b = (hi ^ (data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24))) >>> 0
    const i7 = 7 * 256 + (a & 0xff)
    const i6 = 6 * 256 + ((a >>> 8) & 0xff)
    const i5 = 5 * 256 + ((a >>> 16) & 0xff)
    const i4 = 4 * 256 + (a >>> 24)
    const i3 = 3 * 256 + (b & 0xff)
    const i2 = 2 * 256 + ((b >>> 8) & 0xff)
    const i1 = 256 + ((b >>> 16) & 0xff)
    const i0 = b >>> 24
    hi = T_HI[i7]! ^ T_HI[i6]! ^ T_HI[i5]! ^ T_HI[i4]! ^ T_HI[i3]! ^ T_HI[i2]! ^ T_HI[i1]! ^ T_HI[i0]!
    lo = T_LO[i7]! ^ T_LO[i6]! ^ T_LO[i5]! ^ T_LO[i4]! ^ T_LO[i3]! ^ T_LO[i2]! ^ T_LO[i1]! ^ T_LO[i0]!
  }
  for (; i < n; i++) {
    const idx = (lo ^ data[i]!) & 0xff
    lo = T_LO[idx]! ^ ((lo >>> 8) | (hi << 24))
    hi = T_HI[idx]! ^ (hi >>> 8)
  }
  return { hi: ~hi >>> 0, lo: ~lo >>> 0 }
}

/** crc64Bytes renders a CRC as S3 sends it before base64: 8 bytes, big-endian. */
export function crc64Bytes(value: Crc64): Buffer {
  const out = Buffer.alloc(8)
  out.writeUInt32BE(value.hi >>> 0, 0)
  out.writeUInt32BE(value.lo >>> 0, 4)
  return out
}

/** crc64FromBytes reads 8 big-endian bytes; throws RangeError when there are fewer. */
export function crc64FromBytes(bytes: Buffer): Crc64 {
  if (bytes.length !== 8) throw new RangeError('crc64: expected 8 bytes')
  return { hi: bytes.readUInt32BE(0), lo: bytes.readUInt32BE(4) }
}

// GF(2) polynomial arithmetic modulo the CRC polynomial, in the reflected bit order (x^0 is the top bit), for
// combining the CRCs of parts without reading their bytes again.

/** mulMod returns a·b mod P. */
function mulMod(a: Crc64, b: Crc64): Crc64 {
  let bh = b.hi
  let bl = b.lo
  let ph = 0
  let pl = 0
  for (let bit = 0; bit < 64; bit++) {
    const set = bit < 32 ? (a.hi >>> (31 - bit)) & 1 : (a.lo >>> (63 - bit)) & 1
    if (set !== 0) {
      ph ^= bh
      pl ^= bl
    }
    // b ← b·x mod P
    const carry = bl & 1
    bl = ((bl >>> 1) | (bh << 31)) >>> 0
    bh >>>= 1
    if (carry !== 0) {
      bh = (bh ^ POLY_HI) >>> 0
      bl = (bl ^ POLY_LO) >>> 0
    }
  }
  return { hi: ph >>> 0, lo: pl >>> 0 }
}

/** X_POW[k] = x^(2^k) mod P. */
const X_POW: Crc64[] = [{ hi: 0x40000000, lo: 0 }]
for (let k = 1; k < 64; k++) X_POW.push(mulMod(X_POW[k - 1]!, X_POW[k - 1]!))

/** shiftOperator returns x^(8·bytes) mod P: what appending `bytes` bytes multiplies a CRC by. */
function shiftOperator(bytes: number): Crc64 {
  let p: Crc64 = { hi: 0x80000000, lo: 0 }
  // 8·bytes: start three squarings up; walk the bits of `bytes` with division, which stays exact past 2^32.
  let k = 3
  for (let n = bytes; n > 0; n = Math.floor(n / 2), k++) {
    if (n % 2 === 1) p = mulMod(X_POW[k]!, p)
  }
  return p
}

/**
 * crc64Combine returns the CRC-64/NVME of a ‖ b from crc(a), crc(b) and b's length (zlib's crc32_combine
 * construction). `shiftCache` may carry operators between calls: parts mostly share one size. Throws
 * RangeError for a negative or fractional length.
 */
export function crc64Combine(crcA: Crc64, crcB: Crc64, lengthB: number, shiftCache?: Map<number, Crc64>): Crc64 {
  if (!Number.isSafeInteger(lengthB) || lengthB < 0) throw new RangeError('crc64: invalid length')
  let op = shiftCache?.get(lengthB)
  if (op === undefined) {
    op = shiftOperator(lengthB)
    shiftCache?.set(lengthB, op)
  }
  const shifted = mulMod(op, crcA)
  return { hi: (shifted.hi ^ crcB.hi) >>> 0, lo: (shifted.lo ^ crcB.lo) >>> 0 }
}
