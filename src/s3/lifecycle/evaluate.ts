/**
 * Which lifecycle rules apply to an object version, and when they expire it, as MinIO evaluates them: a rule
 * applies when it is enabled, the key starts with its prefix, the object carries all its tags and (unless a
 * delete marker) its size is within the rule's bounds. An expiry after N days falls at the first midnight UTC
 * at least N days after the version was written (or, for a noncurrent version, replaced).
 *
 * @module
 */
import { decodeTags } from '../api/tag-set.js'
import { rulePrefix, ruleTags, type LifecycleConfig, type LifecycleRule } from './rules.js'

/** A day, the unit of every lifecycle rule. */
export const DAY_MS = 24 * 60 * 60 * 1000

/** What evaluation needs to know of one object version. */
export interface LifecycleSubject {
  key: string
  /** The version's tags in stored (x-amz-tagging) form. */
  tags?: string
  size: number
  deleteMarker?: boolean
}

/**
 * expectedExpiry is when a version written (or made noncurrent) at `fromMs` expires after `days` days: that
 * moment itself for 0 days, else the midnight UTC after `days` whole days (MinIO's ExpectedExpiryTime).
 */
export function expectedExpiry(fromMs: number, days: number): number {
  if (days === 0) return fromMs
  const t = fromMs + (days + 1) * DAY_MS
  return t - (t % DAY_MS)
}

/** rulesFor lists the enabled rules that apply to an object version; throws nothing. */
export function rulesFor(config: LifecycleConfig, o: LifecycleSubject): LifecycleRule[] {
  if (o.key === '') return []
  let tags: Map<string, string> | undefined
  return config.rules.filter((rule) => {
    if (rule.status !== 'Enabled' || !o.key.startsWith(rulePrefix(rule))) return false
    const wanted = ruleTags(rule)
    if (wanted.length > 0) {
      tags ??= new Map(decodeTags(o.tags))
      if (!wanted.every(([k, v]) => tags!.get(k) === v)) return false
    }
    return o.deleteMarker === true || withinSize(rule, o.size)
  })
}

function withinSize(rule: LifecycleRule, size: number): boolean {
  const bounds = [rule.filter, rule.filter?.and]
  for (const b of bounds) {
    if (b === undefined) continue
    if ((b.sizeGreaterThan ?? 0) > 0 && size <= b.sizeGreaterThan!) return false
    if ((b.sizeLessThan ?? 0) > 0 && size >= b.sizeLessThan!) return false
  }
  return true
}

/** An expiry due for a version: when, and by which rule. */
export interface Expiry {
  dueMs: number
  ruleId: string
}

/**
 * currentExpiry is when the rules expire a key's current version written at mtimeMs (the earliest of the
 * applicable Expiration actions), or undefined; throws nothing.
 */
export function currentExpiry(config: LifecycleConfig, o: LifecycleSubject, mtimeMs: number): Expiry | undefined {
  let best: Expiry | undefined
  for (const rule of rulesFor(config, o)) {
    const e = rule.expiration
    let due: number | undefined
    if (e?.date !== undefined) due = Date.parse(e.date)
    else if (e?.days !== undefined) due = expectedExpiry(mtimeMs, e.days)
    if (due !== undefined && (best === undefined || due < best.dueMs)) best = { dueMs: due, ruleId: rule.id }
  }
  return best
}

/**
 * noncurrentExpiry is when the rules expire a noncurrent version replaced at successorMs, given how many
 * noncurrent versions of its key are newer than it (NewerNoncurrentVersions keeps that many); undefined when
 * no rule expires it. Throws nothing.
 */
export function noncurrentExpiry(config: LifecycleConfig, o: LifecycleSubject, successorMs: number, newerNoncurrent: number): Expiry | undefined {
  let best: Expiry | undefined
  for (const rule of rulesFor(config, o)) {
    const nc = rule.noncurrentExpiration
    if (nc === undefined || newerNoncurrent < (nc.newerVersions ?? 0)) continue
    const due = expectedExpiry(successorMs, nc.days ?? 0)
    if (best === undefined || due < best.dueMs) best = { dueMs: due, ruleId: rule.id }
  }
  return best
}

/**
 * expirationHeader renders `x-amz-expiration` as MinIO sends it; throws nothing. A rule id may hold any
 * character: those a header cannot carry (controls, non-ASCII) go percent-encoded as UTF-8.
 */
export function expirationHeader(e: Expiry): string {
  const id = e.ruleId.replace(/[^\x20-\x7e]/gu, (c) => [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''))
  return `expiry-date="${new Date(e.dueMs).toUTCString()}", rule-id="${id}"`
}
