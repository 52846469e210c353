/**
 * KES's legacy stored-key encoding (≤ v0.22, before January 2024): a JSON object
 * `{"version":"v1","bytes":b64,"algorithm":..,"created_at":RFC3339,"created_by":id}`, where only
 * `bytes` is required. Read-only: we never write this form.
 *
 * The rules mirror Go's `encoding/json` decoding into KES's struct: unknown members are ignored,
 * member names match case-insensitively, `null` means "absent", any other type mismatch fails.
 *
 * @module
 */
import { decodeBase64 } from './base64.js'
import type { KeyAlgorithm, KeyVersion } from './key-version.js'
import { KEY_SIZE } from './key-proto.js'

const ALGORITHMS = new Map<string, KeyAlgorithm>([
  ['', 'AES256'], // the oldest files, `{"bytes":".."}`, are AES256
  ['AES256', 'AES256'],
  ['AES256-GCM_SHA256', 'AES256'],
  ['ChaCha20', 'ChaCha20'],
  ['XCHACHA20-POLY1305', 'ChaCha20'],
])

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/

function fail(message: string): never {
  throw new Error(`invalid legacy key: ${message}`)
}

/**
 * Reads the members of a JSON object the way Go fills a struct: case-insensitive names, the last
 * one wins. Returns `undefined` for absent or `null` members.
 */
export function jsonMembers(obj: unknown, names: readonly string[]): Map<string, unknown> {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) fail('not a JSON object')
  const out = new Map<string, unknown>()
  for (const [k, v] of Object.entries(obj)) {
    const name = names.find((n) => n.toLowerCase() === k.toLowerCase())
    if (name !== undefined) out.set(name, v)
  }
  for (const [k, v] of out) if (v === null) out.delete(k)
  return out
}

function optionalString(v: unknown, what: string): string {
  if (v === undefined) return ''
  if (typeof v !== 'string') fail(`${what} is not a string`)
  return v
}

/** Parses an RFC 3339 timestamp (as Go's time.Time JSON form). Returns undefined when invalid. */
function parseRfc3339(s: string): Date | undefined {
  const m = RFC3339.exec(s)
  if (m === null) return undefined
  const [, y, mo, d, h, mi, sec, frac, zone] = m
  const fields = [y, mo, d, h, mi, sec].map(Number) as [number, number, number, number, number, number]
  const [year, month, day, hour, minute, second] = fields
  const ms = Number((frac ?? '').padEnd(3, '0').slice(0, 3))
  const local = new Date(0)
  local.setUTCFullYear(year, month - 1, day) // setUTCFullYear keeps years < 100 literal
  local.setUTCHours(hour, minute, second, ms)
  if (local.getUTCFullYear() !== year || local.getUTCMonth() !== month - 1 || local.getUTCDate() !== day ||
      local.getUTCHours() !== hour || local.getUTCMinutes() !== minute || local.getUTCSeconds() !== second) {
    return undefined // e.g. February 30th or 25:00
  }
  let offsetMin = 0
  if (zone !== undefined && zone !== 'Z') {
    const oh = Number(zone.slice(1, 3))
    const om = Number(zone.slice(4, 6))
    if (oh > 23 || om > 59) return undefined
    offsetMin = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om)
  }
  return new Date(local.getTime() - offsetMin * 60_000)
}

// Go's zero time: legacy files written without a creation time may carry it.
const GO_ZERO_TIME_MS = -62135596800000 // 0001-01-01T00:00:00Z

/** Decodes a legacy JSON key. Throws Error when it is not one KES v0.22 would have read. */
export function parseLegacyKey(json: unknown): KeyVersion {
  const m = jsonMembers(json, ['bytes', 'algorithm', 'created_at', 'created_by'])

  const b64 = optionalString(m.get('bytes'), 'bytes')
  const key = decodeBase64(b64)
  if (key === undefined) fail('bytes is not base64')
  if (key.length !== KEY_SIZE) fail(`key is ${key.length} bytes, not ${KEY_SIZE}`)

  const algorithm = ALGORITHMS.get(optionalString(m.get('algorithm'), 'algorithm'))
  if (algorithm === undefined) fail('unknown algorithm')

  const k: KeyVersion = { key, algorithm }
  const createdAt = m.get('created_at')
  if (createdAt !== undefined) {
    // Unlike the other members, an empty string is an error here, as in Go's time.Time.
    const d = parseRfc3339(optionalString(createdAt, 'created_at'))
    if (d === undefined) fail('created_at is not an RFC 3339 time')
    if (d.getTime() !== GO_ZERO_TIME_MS) k.createdAt = d
  }
  const createdBy = optionalString(m.get('created_by'), 'created_by')
  if (createdBy !== '') k.createdBy = createdBy
  return k
}
