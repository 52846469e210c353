/**
 * The checks MinIO runs on a decoded lifecycle configuration (Lifecycle.Validate, then its tier check), in
 * its order and with its answers: the rule count, each rule (ID, Status, Expiration, NoncurrentVersionExpiration,
 * Prefix and Filter, transitions), then unique IDs. keyhold-s3 has no storage tiers, so a transition to any
 * storage class is refused as MinIO refuses an unknown tier.
 *
 * @module
 */
import { s3err } from '../api/errors.js'
import type { DecodedRule } from './parse.js'
import {
  invalidLifecycle, LIFECYCLE_TEXTS as T, MAX_LIFECYCLE_RULES, type LifecycleConfig, type LifecycleFilter,
} from './rules.js'

/**
 * validateLifecycle checks decoded rules and returns the configuration to store. Throws S3Error
 * InvalidArgument with MinIO's text for a failed check, or InvalidStorageClass for a transition.
 */
export function validateLifecycle(decoded: DecodedRule[]): LifecycleConfig {
  if (decoded.length > MAX_LIFECYCLE_RULES) throw invalidLifecycle(T.tooManyRules)
  if (decoded.length === 0) throw invalidLifecycle(T.noRule)
  for (const d of decoded) validateRule(d)
  const ids = new Set<string>()
  for (const { rule } of decoded) {
    if (ids.has(rule.id)) throw invalidLifecycle(T.duplicateId)
    ids.add(rule.id)
  }
  // MinIO's validateTransitionTier: a storage class must name a configured tier, and there are none here.
  for (const d of decoded) if (d.transitions.some((t) => t.storageClass !== '')) throw s3err('InvalidStorageClass')
  return { rules: decoded.map((d) => d.rule) }
}

function validateRule({ rule, statusText, transitions }: DecodedRule): void {
  // Characters as Go counts len(): bytes of UTF-8.
  if (Buffer.byteLength(rule.id) > 255) throw invalidLifecycle(T.idTooLong)
  if (statusText === '') throw invalidLifecycle(T.emptyStatus)
  if (statusText !== 'Enabled' && statusText !== 'Disabled') throw invalidLifecycle(T.badStatus)
  const exp = rule.expiration
  if (exp !== undefined) {
    const timed = exp.days !== undefined || exp.date !== undefined
    if (timed && exp.deleteMarker !== undefined) throw invalidLifecycle(T.markerWithDays)
    if (exp.deleteMarker === undefined && exp.allVersions === undefined && !timed) throw invalidLifecycle(T.notWellFormed)
    if (exp.days !== undefined && exp.date !== undefined) throw invalidLifecycle(T.daysAndDate)
    if (exp.allVersions !== undefined && exp.days === undefined) throw invalidLifecycle(T.allVersionsWithoutDays)
  }
  const nc = rule.noncurrentExpiration
  if (nc !== undefined && (nc.days ?? 0) === 0 && (nc.newerVersions ?? 0) === 0) throw invalidLifecycle(T.notWellFormed)
  if (nc !== undefined && (nc.newerVersions ?? 0) < 0) throw invalidLifecycle(T.notWellFormed)
  if (rule.prefix !== undefined && rule.filter?.prefix !== undefined) throw invalidLifecycle(T.notWellFormed)
  if (rule.filter !== undefined) validateFilter(rule.filter)
  for (const t of transitions) {
    if (!t.noncurrent && t.date !== undefined && (t.days ?? 0) > 0) throw invalidLifecycle(T.transitionDaysAndDate)
    if (t.storageClass === '') throw invalidLifecycle(T.notWellFormed)
  }
  const tagged = rule.filter?.tag?.[0] || (rule.filter?.and?.tags.length ?? 0) > 0
  if (tagged && rule.delMarkerExpirationDays !== undefined) throw invalidLifecycle(T.delMarkerWithTags)
  // AWS refuses an upload-abort rule filtered by tags: uploads have none to match.
  if (tagged && rule.abortMultipartDays !== undefined) throw invalidLifecycle(T.abortWithTags)
  const acts = exp !== undefined || nc !== undefined || transitions.length > 0 || rule.delMarkerExpirationDays !== undefined
    || rule.abortMultipartDays !== undefined
  if (!acts) throw invalidLifecycle(T.notWellFormed)
}

function validateFilter(f: LifecycleFilter): void {
  const and = f.and
  const andEmpty = and === undefined || (and.tags.length === 0 && and.prefix === undefined
    && (and.sizeGreaterThan ?? 0) === 0 && (and.sizeLessThan ?? 0) === 0)
  const predicates = [!andEmpty, f.prefix !== undefined, (f.tag?.[0] ?? '') !== '', (f.sizeGreaterThan ?? 0) !== 0,
    (f.sizeLessThan ?? 0) !== 0].filter(Boolean).length
  // An empty <Filter/> is allowed: the rule applies to every object.
  if (predicates > 1) throw invalidLifecycle(T.badFilter)
  if (!andEmpty) {
    const count = (and.prefix !== undefined ? 1 : 0) + and.tags.length + ((and.sizeGreaterThan ?? 0) > 0 ? 1 : 0)
      + ((and.sizeLessThan ?? 0) > 0 ? 1 : 0)
    if (count < 2) throw invalidLifecycle(T.notWellFormed)
    const keys = new Set(and.tags.map(([k]) => k))
    if (keys.size !== and.tags.length) throw invalidLifecycle(T.duplicateTagKey)
    for (const tag of and.tags) checkTag(tag)
    if ((and.sizeGreaterThan ?? 0) < 0 || (and.sizeLessThan ?? 0) < 0) throw invalidLifecycle(T.notWellFormed)
  } else if (f.tag !== undefined && f.tag[0] !== '') {
    checkTag(f.tag)
  } else if ((f.sizeGreaterThan ?? 0) < 0 || (f.sizeLessThan ?? 0) < 0) {
    throw invalidLifecycle(T.notWellFormed)
  }
}

function checkTag([key, value]: [string, string]): void {
  // Characters, as Go's utf8.RuneCountInString.
  const keyChars = [...key].length
  if (keyChars === 0 || keyChars > 128) throw invalidLifecycle(T.badTagKey)
  if ([...value].length > 256) throw invalidLifecycle(T.badTagValue)
}
