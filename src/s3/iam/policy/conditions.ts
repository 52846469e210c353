/**
 * Evaluates the conditions of a statement against the request's condition values, with the
 * semantics of MinIO's policy engine: a key missing from the request fails every positive
 * operator and satisfies every negated one.
 *
 * @module
 */
import { parseCidr, parseIp } from './parse-condition.js'
import type { Condition } from './types.js'
import { wildcardMatch } from './wildcard.js'

type Values = Readonly<Record<string, readonly string[]>>

/** conditionsHold reports whether every condition holds. Never throws. */
export function conditionsHold(conditions: readonly Condition[], values: Values): boolean {
  return conditions.every((c) => conditionHolds(c, values))
}

/** lookup finds a request value by key: exact, then case-insensitively (aws: keys are case-insensitive). */
function lookup(values: Values, key: string): readonly string[] | undefined {
  if (key in values) return values[key]
  const lower = key.toLowerCase()
  for (const [k, v] of Object.entries(values)) if (k.toLowerCase() === lower) return v
  return undefined
}

function conditionHolds(c: Condition, values: Values): boolean {
  const requested = lookup(values, c.key)
  if (c.operator === 'Null') {
    const absent = requested === undefined || requested.length === 0 || requested.every((v) => v === '')
    return c.values.some((v) => (v.toLowerCase() === 'true') === absent)
  }
  const negated = c.operator.includes('Not')
  if (requested === undefined || requested.length === 0) return negated
  const matchOne = (r: string): boolean => c.values.some((v) => positiveMatch(c.operator, r, substitute(v, values)))
  let positive: boolean
  if (c.qualifier === 'ForAllValues') positive = requested.every(matchOne)
  else positive = requested.some(matchOne)
  return negated ? !positive : positive
}

/** Compares one request value with one policy value under the operator with any `Not` removed. */
function positiveMatch(operator: string, request: string, policy: string): boolean {
  switch (operator.replace('Not', '')) {
    case 'StringEquals': return request === policy
    case 'StringEqualsIgnoreCase': return request.toLowerCase() === policy.toLowerCase()
    case 'StringLike': return wildcardMatch(policy, request)
    case 'Bool': return request.toLowerCase() === policy.toLowerCase()
    case 'IpAddress': return ipInCidr(request, policy)
    case 'DateEquals': return compare(Date.parse(request), Date.parse(policy)) === 0
    case 'DateLessThan': return compare(Date.parse(request), Date.parse(policy)) < 0
    case 'DateLessThanEquals': return compare(Date.parse(request), Date.parse(policy)) <= 0
    case 'DateGreaterThan': return compare(Date.parse(request), Date.parse(policy)) > 0
    case 'DateGreaterThanEquals': return compare(Date.parse(request), Date.parse(policy)) >= 0
    case 'NumericEquals': return compare(Number(request), Number(policy)) === 0
    case 'NumericLessThan': return compare(Number(request), Number(policy)) < 0
    case 'NumericLessThanEquals': return compare(Number(request), Number(policy)) <= 0
    case 'NumericGreaterThan': return compare(Number(request), Number(policy)) > 0
    case 'NumericGreaterThanEquals': return compare(Number(request), Number(policy)) >= 0
    default: return false
  }
}

/** NaN compares as "no relation": every relational test fails. */
function compare(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.NaN
  return a - b
}

function ipInCidr(ip: string, cidr: string): boolean {
  const addr = parseIp(ip)
  const net = parseCidr(cidr)
  if (!addr || !net || addr.length !== net.bytes.length) return false
  for (let bit = 0; bit < net.bits; bit++) {
    const byte = bit >> 3
    const mask = 0x80 >> (bit & 7)
    if (((addr[byte] ?? 0) & mask) !== ((net.bytes[byte] ?? 0) & mask)) return false
  }
  return true
}

/** substitute replaces policy variables such as `${aws:username}` with the request's first value. */
export function substitute(text: string, values: Values): string {
  if (!text.includes('${')) return text
  return text.replace(/\$\{([A-Za-z0-9:_-]+)\}/g, (whole, name: string) => {
    const v = lookup(values, name)?.[0]
    return v === undefined || v === '' ? whole : v
  })
}
