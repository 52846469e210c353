/**
 * Parses the `Condition` block of a statement.
 *
 * @module
 */
import { isKnownConditionKey } from './condition-keys.js'
import { MalformedPolicyError } from './errors.js'
import type { Condition } from './types.js'

/** OPERATORS lists the condition operators the evaluator implements. */
const OPERATORS: readonly string[] = [
  'StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase',
  'StringLike', 'StringNotLike', 'IpAddress', 'NotIpAddress', 'Bool', 'Null',
  'DateEquals', 'DateNotEquals', 'DateLessThan', 'DateLessThanEquals', 'DateGreaterThan', 'DateGreaterThanEquals',
  'NumericEquals', 'NumericNotEquals', 'NumericLessThan', 'NumericLessThanEquals',
  'NumericGreaterThan', 'NumericGreaterThanEquals',
]

/**
 * parseConditions turns a Condition block into a list of clauses; with `knownKeysOnly`, a key MinIO does not
 * support is refused. Throws MalformedPolicyError.
 */
export function parseConditions(value: unknown, where: string, knownKeysOnly = false): Condition[] {
  if (value === undefined || value === null) return []
  if (typeof value !== 'object' || Array.isArray(value)) throw new MalformedPolicyError(`${where}.Condition must be a JSON object`)
  const out: Condition[] = []
  for (const [name, body] of Object.entries(value as Record<string, unknown>)) {
    const [first, second] = name.split(':')
    const qualifier = second === undefined ? undefined : first
    const operator = second ?? first ?? ''
    if ((qualifier !== undefined && qualifier !== 'ForAnyValue' && qualifier !== 'ForAllValues') || !OPERATORS.includes(operator)) {
      throw new MalformedPolicyError(`${where}: invalid condition operator '${name}'`)
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new MalformedPolicyError(`${where}: condition '${name}' must map keys to values`)
    }
    for (const [key, raw] of Object.entries(body as Record<string, unknown>)) {
      if (key === '') throw new MalformedPolicyError(`${where}: condition '${name}' has an empty key`)
      if (knownKeysOnly && !isKnownConditionKey(key)) throw new MalformedPolicyError(`${where}: invalid condition key '${key}'`)
      const list = Array.isArray(raw) ? raw : [raw]
      const values = list.map((v) => {
        if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v)
        throw new MalformedPolicyError(`${where}: condition '${name}' on '${key}' has a value that is not a string, number or boolean`)
      })
      if (values.length === 0) throw new MalformedPolicyError(`${where}: condition '${name}' on '${key}' has no values`)
      checkValues(operator, key, values, where)
      out.push({ operator, ...(qualifier ? { qualifier: qualifier as Condition['qualifier'] } : {}), key, values })
    }
  }
  return out
}

function checkValues(operator: string, key: string, values: string[], where: string): void {
  const bad = (v: string): never => {
    throw new MalformedPolicyError(`${where}: invalid value '${v}' for condition '${operator}' on '${key}'`)
  }
  for (const v of values) {
    if (operator.endsWith('IpAddress') && parseCidr(v) === undefined) bad(v)
    if ((operator === 'Bool' || operator === 'Null') && v.toLowerCase() !== 'true' && v.toLowerCase() !== 'false') bad(v)
    if (operator.startsWith('Date') && Number.isNaN(Date.parse(v))) bad(v)
    if (operator.startsWith('Numeric') && !/^-?\d+(\.\d+)?$/.test(v)) bad(v)
  }
}

/** parseCidr parses `a.b.c.d/n`, a bare IPv4 address, or IPv6 equivalents. Returns undefined when invalid. */
export function parseCidr(text: string): { bytes: Buffer; bits: number } | undefined {
  const [addr, bitsText] = text.split('/')
  const bytes = parseIp(addr ?? '')
  if (!bytes) return undefined
  const max = bytes.length * 8
  const bits = bitsText === undefined ? max : Number(bitsText)
  if (!Number.isInteger(bits) || bits < 0 || bits > max || (bitsText !== undefined && !/^\d+$/.test(bitsText))) return undefined
  return { bytes, bits }
}

/** parseIp parses an IPv4 or IPv6 address (IPv4-mapped IPv6 becomes IPv4). Returns undefined when invalid. */
export function parseIp(text: string): Buffer | undefined {
  if (text.startsWith('::ffff:') && text.includes('.')) return parseIp(text.slice(7))
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    const parts = text.split('.').map(Number)
    return parts.every((p) => p <= 255) ? Buffer.from(parts) : undefined
  }
  if (!text.includes(':') || !/^[0-9a-fA-F:]+$/.test(text)) return undefined
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const head = halves[0] ? halves[0].split(':') : []
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : []
  const missing = 8 - head.length - tail.length
  if ((halves.length === 1 && missing !== 0) || missing < 0) return undefined
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail]
  if (groups.some((g) => g.length === 0 || g.length > 4)) return undefined
  const out = Buffer.alloc(16)
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2))
  return out
}
