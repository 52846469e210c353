/**
 * KES's current stored-key encoding: protobuf `miniohq.kms.KeyVersion` (HEAD
 * `internal/protobuf/crypto.proto`). `key.ts` adds the base64 layer on top.
 *
 * ```proto
 * message SecretKey  { bytes Key = 1; uint32 Type = 2; }   // 1 = AES256, 2 = ChaCha20
 * message HMACKey    { bytes Key = 1; uint32 Hash = 2; }   // 1 = SHA256
 * message KeyVersion { SecretKey Key = 1; HMACKey HMACKey = 2;
 *                      google.protobuf.Timestamp CreatedAt = 3; string CreatedBy = 4; }
 * ```
 *
 * @module
 */
import type { KeyAlgorithm, KeyVersion } from './key-version.js'
import { type Field, ProtobufWriter, readFields, WireType } from './protobuf.js'

/** Secret and HMAC keys are exactly this long. */
export const KEY_SIZE = 32

const ALGORITHM_ENUM: Record<KeyAlgorithm, bigint> = { AES256: 1n, ChaCha20: 2n }
const HASH_SHA256 = 1n

// Go's zero time.Time, which KES writes as CreatedAt when it does not know the creation time.
const GO_ZERO_TIME_SECONDS = -62135596800n
// google.protobuf.Timestamp's valid range: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z.
const MAX_TIMESTAMP_SECONDS = 253402300799n

const utf8 = new TextDecoder('utf-8', { fatal: true })
const utf8Encoder = new TextEncoder()

function fail(message: string): never {
  throw new Error(`invalid stored key: ${message}`)
}

/**
 * Keeps the last occurrence of each known field (protobuf's rule for repeated scalars), checks
 * its wire type, and skips unknown fields as proto3 requires for forward compatibility.
 */
function indexFields(fields: Field[], expected: Record<number, number>): Map<number, Field> {
  const byNum = new Map<number, Field>()
  for (const f of fields) {
    const wire = expected[f.num]
    if (wire === undefined) continue
    if (f.wire !== wire) fail(`field ${f.num} has wire type ${f.wire}`)
    byNum.set(f.num, f)
  }
  return byNum
}

function bytesOf(f: Field | undefined): Uint8Array {
  return f !== undefined && f.wire === WireType.Bytes ? f.value : new Uint8Array(0)
}

function varintOf(f: Field | undefined): bigint {
  return f !== undefined && f.wire === WireType.Varint ? f.value : 0n
}

/** Parses a `SecretKey` or `HMACKey` sub-message: 32 key bytes plus an enum. */
function readKeyMessage(raw: Uint8Array, what: string): { key: Uint8Array; kind: bigint } {
  const f = indexFields(readFields(raw), { 1: WireType.Bytes, 2: WireType.Varint })
  const key = bytesOf(f.get(1))
  if (key.length !== KEY_SIZE) fail(`${what} is ${key.length} bytes, not ${KEY_SIZE}`)
  // Go decodes a uint32 field by truncating the varint to 32 bits.
  return { key: Uint8Array.from(key), kind: BigInt.asUintN(32, varintOf(f.get(2))) }
}

function readTimestamp(raw: Uint8Array): Date | undefined {
  const f = indexFields(readFields(raw), { 1: WireType.Varint, 2: WireType.Varint })
  const seconds = BigInt.asIntN(64, varintOf(f.get(1)))
  const nanos = BigInt.asIntN(32, varintOf(f.get(2)))
  if (nanos < 0n || nanos > 999_999_999n) fail('timestamp nanos out of range')
  if (seconds < GO_ZERO_TIME_SECONDS || seconds > MAX_TIMESTAMP_SECONDS) fail('timestamp out of range')
  if (seconds === GO_ZERO_TIME_SECONDS && nanos === 0n) return undefined
  // Date has millisecond precision; KES's microseconds are truncated.
  return new Date(Number(seconds) * 1000 + Number(nanos / 1_000_000n))
}

/** Decodes protobuf `KeyVersion` bytes. Throws Error on any malformed or out-of-range content. */
export function unmarshalKeyVersion(raw: Uint8Array): KeyVersion {
  const f = indexFields(readFields(raw), {
    1: WireType.Bytes, 2: WireType.Bytes, 3: WireType.Bytes, 4: WireType.Bytes,
  })
  const secret = f.get(1)
  const hmac = f.get(2)
  if (secret === undefined) fail('no secret key')
  if (hmac === undefined) fail('no HMAC key')

  const sk = readKeyMessage(bytesOf(secret), 'secret key')
  const algorithm = sk.kind === 1n ? 'AES256' : sk.kind === 2n ? 'ChaCha20' : fail('unknown key type')
  const hk = readKeyMessage(bytesOf(hmac), 'HMAC key')
  if (hk.kind !== HASH_SHA256) fail('unknown HMAC hash')

  const ts = f.get(3)
  const createdAt = ts === undefined ? undefined : readTimestamp(bytesOf(ts))
  let createdBy: string
  try {
    createdBy = utf8.decode(bytesOf(f.get(4)))
  } catch {
    fail('created_by is not UTF-8')
  }

  const k: KeyVersion = { key: sk.key, algorithm, hmacKey: hk.key }
  if (createdAt !== undefined) k.createdAt = createdAt
  if (createdBy !== '') k.createdBy = createdBy
  return k
}

function writeTimestamp(d: Date | undefined): Uint8Array {
  if (d === undefined) return new ProtobufWriter().uint(1, GO_ZERO_TIME_SECONDS).finish()
  const ms = d.getTime()
  if (!Number.isFinite(ms)) fail('created_at is an invalid date')
  const seconds = Math.floor(ms / 1000)
  const nanos = (ms - seconds * 1000) * 1_000_000
  return new ProtobufWriter().uint(1, BigInt(seconds)).uint(2, BigInt(nanos)).finish()
}

/**
 * Encodes a KeyVersion as protobuf, in the field order Go's marshaller uses. A missing `createdAt`
 * is written as Go's zero time, as KES does. Throws Error if a key is not 32 bytes or the HMAC
 * key is missing (KES cannot store such a key either).
 */
export function marshalKeyVersion(k: KeyVersion): Uint8Array {
  if (k.key.length !== KEY_SIZE) fail(`secret key is ${k.key.length} bytes, not ${KEY_SIZE}`)
  if (k.hmacKey === undefined) fail('no HMAC key')
  if (k.hmacKey.length !== KEY_SIZE) fail(`HMAC key is ${k.hmacKey.length} bytes, not ${KEY_SIZE}`)
  const type = ALGORITHM_ENUM[k.algorithm]
  if (type === undefined) fail('unknown key type')

  const secret = new ProtobufWriter().bytes(1, k.key).uint(2, type).finish()
  const hmac = new ProtobufWriter().bytes(1, k.hmacKey).uint(2, HASH_SHA256).finish()
  return new ProtobufWriter()
    .bytes(1, secret, true)
    .bytes(2, hmac, true)
    .bytes(3, writeTimestamp(k.createdAt), true)
    .bytes(4, utf8Encoder.encode(k.createdBy ?? ''))
    .finish()
}
