/**
 * Reading a PutBucketLifecycleConfiguration document into a {@link LifecycleConfig}. What MinIO refuses while
 * decoding (a Days of 0, a Date that is not RFC 3339 midnight UTC, an unknown element inside a Filter) is
 * refused here; the rule checks that follow decoding are in validate.ts. Values keep their spaces (a prefix
 * may start with one); numbers and booleans are trimmed, as Go's decoder does.
 *
 * @module
 */
import { randomUUID } from 'node:crypto'
import { s3err } from '../api/errors.js'
import type { TagSet } from '../api/tag-set.js'
import { xmlBodyParser } from '../api/xml.js'
import {
  invalidLifecycle, LIFECYCLE_TEXTS as T, type LifecycleExpiration, type LifecycleFilter, type LifecycleRule,
} from './rules.js'

type Node = Record<string, unknown>

const parseDocument = xmlBodyParser({ arrays: ['Rule', 'Tag', 'Transition', 'NoncurrentVersionTransition'], trimValues: false })

/** A rule as decoded, with what validation needs beyond the stored rule. */
export interface DecodedRule {
  rule: LifecycleRule
  /** Whether Status was present at all (an empty Status is its own error). */
  statusText: string
  /** Transition and NoncurrentVersionTransition elements: checked, never stored (no tiers here). */
  transitions: Array<{ days?: number; date?: string; storageClass: string; noncurrent: boolean }>
}

/**
 * decodeLifecycle reads the document's rules (an empty ID gets a UUID, as MinIO assigns). Throws S3Error
 * MalformedXML (not XML, another root, an element that is not a Rule, text where elements belong, a number or
 * boolean that does not parse) or InvalidArgument with MinIO's text for what MinIO refuses while decoding.
 */
export function decodeLifecycle(body: Buffer): DecodedRule[] {
  let doc: Node
  try {
    doc = parseDocument(body, 'LifecycleConfiguration')
  } catch {
    // MinIO also reads the old name of the root element.
    doc = parseDocument(body, 'BucketLifecycleConfiguration')
  }
  for (const name of Object.keys(doc)) if (name !== 'Rule' && name !== '#text') throw s3err('MalformedXML')
  const rules = doc.Rule === undefined ? [] : doc.Rule as unknown[]
  return rules.map((r) => decodeRule(asNode(r)))
}

function decodeRule(r: Node): DecodedRule {
  const id = text(r, 'ID') ?? ''
  const rule: LifecycleRule = { id: id === '' ? randomUUID() : id, status: text(r, 'Status') as LifecycleRule['status'] }
  const prefix = text(r, 'Prefix')
  if (prefix !== undefined) rule.prefix = prefix
  if (r.Filter !== undefined) rule.filter = decodeFilter(asNode(one(r, 'Filter')))
  if (r.Expiration !== undefined) rule.expiration = decodeExpiration(asNode(one(r, 'Expiration')))
  if (r.NoncurrentVersionExpiration !== undefined) {
    const n = asNode(one(r, 'NoncurrentVersionExpiration'))
    const days = days0(n, 'NoncurrentDays')
    // Older MinIO releases wrote MaxNoncurrentVersions; it reads as NewerNoncurrentVersions.
    const newer = integer(n, 'MaxNoncurrentVersions') || integer(n, 'NewerNoncurrentVersions')
    rule.noncurrentExpiration = { ...(days !== undefined && { days }), ...(newer !== undefined && { newerVersions: newer }) }
  }
  if (r.AbortIncompleteMultipartUpload !== undefined) {
    const days = integer(asNode(one(r, 'AbortIncompleteMultipartUpload')), 'DaysAfterInitiation')
    if (days === undefined || days <= 0) throw invalidLifecycle(T.abortDays)
    rule.abortMultipartDays = days
  }
  if (r.DelMarkerExpiration !== undefined) {
    const days = integer(asNode(one(r, 'DelMarkerExpiration')), 'Days') ?? 0
    if (days <= 0) throw invalidLifecycle(T.delMarkerDays)
    rule.delMarkerExpirationDays = days
  }
  const transitions: DecodedRule['transitions'] = []
  for (const [name, noncurrent] of [['Transition', false], ['NoncurrentVersionTransition', true]] as const) {
    for (const t of (r[name] ?? []) as unknown[]) {
      const n = asNode(t)
      const days = integer(n, noncurrent ? 'NoncurrentDays' : 'Days')
      if (days !== undefined && days < 0) throw invalidLifecycle(T.transitionDays)
      const date = n.Date === undefined ? undefined : midnightDate(text(n, 'Date') ?? '')
      transitions.push({ days, date, storageClass: text(n, 'StorageClass') ?? '', noncurrent })
    }
  }
  return { rule, statusText: text(r, 'Status') ?? '', transitions }
}

function decodeFilter(f: Node): LifecycleFilter {
  const filter: LifecycleFilter = {}
  for (const name of Object.keys(f)) {
    switch (name) {
      case 'Prefix': filter.prefix = text(f, 'Prefix') ?? ''; break
      case 'Tag': filter.tag = decodeTag(asNode(one(f, 'Tag'))); break
      case 'ObjectSizeGreaterThan': filter.sizeGreaterThan = integer(f, name); break
      case 'ObjectSizeLessThan': filter.sizeLessThan = integer(f, name); break
      case 'And': {
        const a = asNode(one(f, 'And'))
        const tags: TagSet = ((a.Tag ?? []) as unknown[]).map((t) => decodeTag(asNode(t)))
        const and: NonNullable<LifecycleFilter['and']> = { tags }
        if (a.Prefix !== undefined) and.prefix = text(a, 'Prefix') ?? ''
        const gt = integer(a, 'ObjectSizeGreaterThan')
        const lt = integer(a, 'ObjectSizeLessThan')
        if (gt !== undefined) and.sizeGreaterThan = gt
        if (lt !== undefined) and.sizeLessThan = lt
        filter.and = and
        break
      }
      case '#text': break
      default: throw invalidLifecycle(T.unknownXmlTag)
    }
  }
  return filter
}

function decodeTag(t: Node): [string, string] {
  for (const name of Object.keys(t)) {
    if (name === '#text') continue
    if (name !== 'Key' && name !== 'Value') throw invalidLifecycle(T.unknownXmlTag)
    if (Array.isArray(t[name])) throw invalidLifecycle(T.duplicatedXmlTag)
  }
  return [text(t, 'Key') ?? '', text(t, 'Value') ?? '']
}

function decodeExpiration(e: Node): LifecycleExpiration {
  const exp: LifecycleExpiration = {}
  const days = days0(e, 'Days')
  if (days !== undefined) exp.days = days
  if (e.Date !== undefined) exp.date = midnightDate(text(e, 'Date') ?? '')
  const marker = boolean(e, 'ExpiredObjectDeleteMarker')
  if (marker !== undefined) exp.deleteMarker = marker
  const all = boolean(e, 'ExpiredObjectAllVersions')
  if (all !== undefined) exp.allVersions = all
  return exp
}

/** days0 reads a Days count MinIO decodes as ExpirationDays: given, it must be positive. */
function days0(n: Node, name: string): number | undefined {
  const days = integer(n, name)
  if (days !== undefined && days <= 0) throw invalidLifecycle(T.badDays)
  return days
}

// RFC 3339 as Go's time.Parse reads it: a date, a time, optional fraction, and a zone.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/

/** midnightDate checks an Expiration/Transition Date: RFC 3339, at midnight UTC; returns it normalized. */
function midnightDate(value: string): string {
  const m = RFC3339.exec(value)
  const at = m === null ? NaN : Date.parse(value)
  if (m === null || Number.isNaN(at)) throw invalidLifecycle(T.badDate)
  const fraction = m[7] === undefined ? 0 : Number(m[7])
  if (m[4] !== '00' || m[5] !== '00' || m[6] !== '00' || fraction !== 0 || (m[8] !== 'Z' && m[8] !== '+00:00' && m[8] !== '-00:00')) {
    throw invalidLifecycle(T.dateNotMidnight)
  }
  return `${m[1]}-${m[2]}-${m[3]}T00:00:00Z`
}

function asNode(v: unknown): Node {
  // `<Filter/>` and `<Filter></Filter>` decode as empty text: an element with no children.
  if (v === '' || v === undefined) return {}
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw s3err('MalformedXML')
  return v as Node
}

function one(n: Node, name: string): unknown {
  const v = n[name]
  if (Array.isArray(v)) {
    if (v.length !== 1) throw s3err('MalformedXML')
    return v[0] as unknown
  }
  return v
}

function text(n: Node, name: string): string | undefined {
  const v = one(n, name)
  if (v === undefined) return undefined
  if (typeof v !== 'string') throw s3err('MalformedXML')
  return v
}

function integer(n: Node, name: string): number | undefined {
  const v = text(n, name)?.trim()
  if (v === undefined) return undefined
  // Go decodes into an int: an optional sign and digits, within 64 bits; anything else does not decode.
  if (!/^[+-]?\d{1,15}$/.test(v)) throw s3err('MalformedXML')
  return Number(v)
}

function boolean(n: Node, name: string): boolean | undefined {
  const v = text(n, name)?.trim()
  if (v === undefined) return undefined
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false
  throw s3err('MalformedXML')
}
