/**
 * Evaluates the conditions of a statement against the request's condition values, with the
 * semantics of MinIO's policy engine: a key missing from the request fails every positive
 * operator and satisfies every negated one.
 *
 * @module
 */
import { parseCidr, parseIp } from './parse-condition.js'
import type { Condition } from './types.js'
import { piecesMatch, type PatternPiece } from './wildcard.js'

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
  const like = c.operator.replace('Not', '') === 'StringLike'
  const matchOne = (r: string): boolean => c.values.some((v) => like
    ? piecesMatch(patternPieces(v, values), r)
    : positiveMatch(c.operator, r, substitute(v, values)))
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

// A policy variable, or one of AWS's three that stand for a character a pattern would read as special.
const VARIABLE = /\$\{([A-Za-z0-9:_-]+|\*|\?|\$)\}/g

/** variableValue is what `${name}` stands for: `${*}`, `${?}`, `${$}` the character, else the request's first value. */
function variableValue(name: string, values: Values): string | undefined {
  if (name === '*' || name === '?' || name === '$') return name
  const v = lookup(values, name)?.[0]
  return v === undefined || v === '' ? undefined : v
}

/** substitute replaces policy variables such as `${aws:username}` with the request's first value. Never throws. */
export function substitute(text: string, values: Values): string {
  if (!text.includes('${')) return text
  return text.replace(VARIABLE, (whole, name: string) => variableValue(name, values) ?? whole)
}

/**
 * patternPieces is `text` with its policy variables replaced, as pattern pieces: the policy's own text keeps its
 * wildcards, a variable's value is literal. A User-Agent or a user name holding `*` must not widen a pattern (a
 * home-directory resource `home/${aws:username}/*` for a user named `a*`), nor make the request choose the
 * pattern it is matched against. Never throws.
 */
export function patternPieces(text: string, values: Values): PatternPiece[] {
  if (!text.includes('${')) return [{ glob: text }]
  const pieces: PatternPiece[] = []
  let at = 0
  for (const m of text.matchAll(VARIABLE)) {
    const value = variableValue(m[1]!, values)
    if (value === undefined) continue
    pieces.push({ glob: text.slice(at, m.index) }, { literal: value })
    at = m.index + m[0].length
  }
  pieces.push({ glob: text.slice(at) })
  return pieces
}
