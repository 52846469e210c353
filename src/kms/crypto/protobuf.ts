/**
 * A minimal protobuf wire-format reader and writer: just enough for KES's stored `KeyVersion`.
 *
 * We hand-write this instead of depending on a protobuf library because the schema is four small
 * messages and the parser must be strict and bounds-checked: it reads untrusted bytes from disk
 * or a remote keystore.
 *
 * @module
 */

/** Wire types we understand. Groups (3, 4) are deprecated and rejected. */
export const WireType = { Varint: 0, Fixed64: 1, Bytes: 2, Fixed32: 5 } as const

/** One field as it appears on the wire. Varints are `bigint`; other types are raw bytes. */
export type Field =
  | { num: number; wire: typeof WireType.Varint; value: bigint }
  | { num: number; wire: typeof WireType.Bytes | typeof WireType.Fixed64 | typeof WireType.Fixed32; value: Uint8Array }

/** ProtobufError: the bytes are not well-formed protobuf wire data. */
class ProtobufError extends Error {
  constructor(message: string) {
    super(`protobuf: ${message}`)
    this.name = 'ProtobufError'
  }
}

const MAX_FIELD_NUMBER = 2 ** 29 - 1

function readVarint(buf: Uint8Array, pos: number): [bigint, number] {
  let value = 0n
  for (let i = 0; i < 10; i++) {
    const b = buf[pos + i]
    if (b === undefined) throw new ProtobufError('truncated varint')
    // The 10th byte may only carry the 64th bit; anything more overflows uint64.
    if (i === 9 && b > 1) throw new ProtobufError('varint overflows 64 bits')
    value |= BigInt(b & 0x7f) << BigInt(7 * i)
    if ((b & 0x80) === 0) return [value, pos + i + 1]
  }
  throw new ProtobufError('varint overflows 64 bits')
}

function take(buf: Uint8Array, pos: number, n: number): Uint8Array {
  if (n > buf.length - pos) throw new ProtobufError('field extends past the end')
  return buf.subarray(pos, pos + n)
}

/**
 * Splits one message into its fields, in wire order. Throws ProtobufError on truncated or
 * malformed data, groups, or field number 0. Byte values are views into `buf`.
 */
export function readFields(buf: Uint8Array): Field[] {
  const fields: Field[] = []
  let pos = 0
  while (pos < buf.length) {
    const [tag, afterTag] = readVarint(buf, pos)
    pos = afterTag
    const num = tag >> 3n
    const wire = Number(tag & 7n)
    if (num === 0n || num > BigInt(MAX_FIELD_NUMBER)) throw new ProtobufError('invalid field number')
    const n = Number(num)
    switch (wire) {
      case WireType.Varint: {
        const [value, next] = readVarint(buf, pos)
        fields.push({ num: n, wire, value })
        pos = next
        break
      }
      case WireType.Fixed64:
      case WireType.Fixed32: {
        const size = wire === WireType.Fixed64 ? 8 : 4
        fields.push({ num: n, wire, value: take(buf, pos, size) })
        pos += size
        break
      }
      case WireType.Bytes: {
        const [len, next] = readVarint(buf, pos)
        if (len > BigInt(buf.length - next)) throw new ProtobufError('field extends past the end')
        fields.push({ num: n, wire, value: take(buf, next, Number(len)) })
        pos = next + Number(len)
        break
      }
      default:
        throw new ProtobufError(`unsupported wire type ${wire}`)
    }
  }
  return fields
}

/** Appends protobuf fields to a growing byte list. Builds canonical (field-order) encodings. */
export class ProtobufWriter {
  private readonly parts: number[] = []

  private varint(v: bigint): void {
    let x = BigInt.asUintN(64, v) // negative int64/int32 are written as 10-byte two's complement
    while (x >= 0x80n) {
      this.parts.push(Number(x & 0x7fn) | 0x80)
      x >>= 7n
    }
    this.parts.push(Number(x))
  }

  /** Writes a varint field (uint32, int32, int64); proto3 omits zero values, so do we. */
  uint(num: number, value: bigint): this {
    if (value === 0n) return this
    this.varint(BigInt((num << 3) | WireType.Varint))
    this.varint(value)
    return this
  }

  /** Writes a length-delimited field (bytes, string, embedded message); empty values are omitted. */
  bytes(num: number, value: Uint8Array, keepEmpty = false): this {
    if (value.length === 0 && !keepEmpty) return this
    this.varint(BigInt((num << 3) | WireType.Bytes))
    this.varint(BigInt(value.length))
    for (const b of value) this.parts.push(b)
    return this
  }

  /** The encoded message. */
  finish(): Uint8Array {
    return Uint8Array.from(this.parts)
  }
}
