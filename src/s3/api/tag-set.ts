/**
 * Tag sets of objects and buckets, as MinIO's `tags` package reads and checks them: the `Tagging` XML
 * document of Put*Tagging, the URL-query form of `x-amz-tagging`, and S3's limits (10 tags on an object,
 * 50 on a bucket, keys of 1–128 and values of 0–256 characters, no duplicate keys).
 *
 * @module
 */
import { s3err, type S3Error } from './errors.js'
import { escapeXml, xmlBodyParser } from './xml.js'

/** A tag set in the order given. */
export type TagSet = Array<[key: string, value: string]>

/** MAX_OBJECT_TAGS and MAX_BUCKET_TAGS are S3's limits. */
const MAX_OBJECT_TAGS = 10
const MAX_BUCKET_TAGS = 50
const MAX_KEY_CHARS = 128
const MAX_VALUE_CHARS = 256

/** invalidTag makes MinIO's 400 InvalidTag with its text; throws nothing. */
function invalidTag(message: string): S3Error {
  return s3err('InvalidTag', message)
}

/**
 * checkTags enforces the limits; throws S3Error InvalidTag with MinIO's texts (too many tags, a bad key or
 * value, a duplicate key).
 */
function checkTags(tags: TagSet, forObject: boolean): void {
  const max = forObject ? MAX_OBJECT_TAGS : MAX_BUCKET_TAGS
  if (tags.length > max) throw invalidTag(forObject ? 'Tags cannot be more than 10' : 'Tags cannot be more than 50')
  const seen = new Set<string>()
  for (const [k, v] of tags) {
    // Characters, not bytes or UTF-16 units, as Go's utf8.RuneCountInString.
    const keyChars = [...k].length
    if (keyChars === 0 || keyChars > MAX_KEY_CHARS) throw invalidTag('The TagKey you have provided is invalid')
    if ([...v].length > MAX_VALUE_CHARS) throw invalidTag('The TagValue you have provided is invalid')
    if (seen.has(k)) throw invalidTag('Cannot provide multiple Tags with the same key')
    seen.add(k)
  }
}

// Tag keys and values may be made of spaces: not trimmed.
const parseTagging = xmlBodyParser({ arrays: ['Tag'], trimValues: false })

/**
 * parseTaggingXml reads a `Tagging` document; throws S3Error MalformedXML (not a Tagging document, a Tag
 * without Key) or InvalidTag (limits).
 */
export function parseTaggingXml(body: Buffer, forObject: boolean): TagSet {
  const doc = parseTagging(body, 'Tagging')
  const set = doc.TagSet
  const list = typeof set === 'object' && set !== null ? (set as Record<string, unknown>).Tag : undefined
  const tags: TagSet = []
  for (const t of Array.isArray(list) ? list as unknown[] : []) {
    if (typeof t !== 'object' || t === null) throw s3err('MalformedXML')
    const { Key: k, Value: v } = t as Record<string, unknown>
    if (typeof k !== 'string') throw invalidTag('The TagKey you have provided is invalid')
    tags.push([k, typeof v === 'string' ? v : ''])
  }
  checkTags(tags, forObject)
  return tags
}

/** parseTaggingHeader reads `x-amz-tagging` (`k1=v1&k2=v2`, URL-encoded); throws S3Error InvalidTag (limits, bad escapes). */
export function parseTaggingHeader(value: string): TagSet {
  const tags: TagSet = []
  if (value === '') return tags
  for (const pair of value.split('&')) {
    const eq = pair.indexOf('=')
    const rawKey = eq < 0 ? pair : pair.slice(0, eq)
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1)
    try {
      tags.push([decodeURIComponent(rawKey.replace(/\+/g, ' ')), decodeURIComponent(rawValue.replace(/\+/g, ' '))])
    } catch {
      throw invalidTag('The TagKey you have provided is invalid')
    }
  }
  checkTags(tags, true)
  return tags
}

/** taggingXml renders a tag set as S3's `Tagging` answer; throws nothing. */
export function taggingXml(tags: TagSet): string {
  const inner = tags.map(([k, v]) => `<Tag><Key>${escapeXml(k)}</Key><Value>${escapeXml(v)}</Value></Tag>`).join('')
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet>${inner}</TagSet></Tagging>`
}

/** encodeTags stores a tag set in its header form (what MinIO keeps in an object's metadata); throws nothing. */
export function encodeTags(tags: TagSet): string {
  return tags.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')
}

/** decodeTags reads back {@link encodeTags}'s form; throws nothing (a stored form is always well-formed). */
export function decodeTags(stored: string | undefined): TagSet {
  if (stored === undefined || stored === '') return []
  return stored.split('&').map((p) => {
    const eq = p.indexOf('=')
    return [decodeURIComponent(p.slice(0, eq)), decodeURIComponent(p.slice(eq + 1))]
  })
}
