/**
 * S3 XML: a small builder for responses and a guarded parser for request bodies.
 *
 * @module
 */
import { s3err } from './errors.js'
import { readXml, type XmlReadOptions } from './xml-reader.js'

/** XNode is an element: name, then text or children (undefined children are skipped). */
export type XNode = [string, string | number | boolean | Array<XNode | undefined>]

const NS = 'http://s3.amazonaws.com/doc/2006-03-01/'

/** escapeXml escapes text for element content; control characters (CR too, which parsers would fold into LF) go as character references. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!)
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b-\u000d\u000e-\u001f]/g, (c) => `&#x${c.charCodeAt(0).toString(16)};`)
}

function render(node: XNode | undefined): string {
  if (node === undefined) return ''
  const [name, body] = node
  if (Array.isArray(body)) return `<${name}>${body.map(render).join('')}</${name}>`
  return `<${name}>${escapeXml(String(body))}</${name}>`
}

/** xmlDocument renders a response document; the root gets S3's namespace unless ns is false. */
export function xmlDocument(root: XNode, ns = true): string {
  const [name, body] = root
  const inner = Array.isArray(body) ? body.map(render).join('') : escapeXml(String(body))
  const attr = ns ? ` xmlns="${NS}"` : ''
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${name}${attr}>${inner}</${name}>`
}

/** How a request document is read: which elements always become arrays, whether text is trimmed. */
export interface XmlShape {
  /** Element names that are lists even when they occur once. */
  arrays: readonly string[]
  /** Trim text content (default true). */
  trimValues?: boolean
  /** Drop `ns:` prefixes from element names (default false). */
  removeNSPrefix?: boolean
}

/** Nesting deeper than any S3 request document needs; deeper is refused before the parser recurses. */
const MAX_XML_DEPTH = 32

/**
 * How much markup one request document may carry, counted before it is read. Reading builds an object or a
 * string per tag and per reference, so bytes alone do not bound the work: with the general parser used before
 * xml-reader.ts, 4 MiB of `<a/>` held the event loop for 1.7–2.5 s, 4 MiB of `&amp;` for 1.5 s and 256 MiB
 * (found by an attack); one tag of 400,000 attributes took its validator 4 s, one text run of 4 MiB its parser
 * 0.5–2 s. The counts keep every reader, this one included, to the work of the largest valid document.
 */
export interface XmlLimits {
  /** Most `<` characters (every start, end and empty-element tag, comment, CDATA section and processing instruction has one). */
  tags: number
  /** Most `&` characters (entity and character references). */
  references: number
  /** Most `"` and `'` characters together (every attribute value is quoted, so this bounds attributes too). */
  quotes: number
}

/**
 * MAX_XML_RUN is the longest stretch of a document without a `<`: a text run, or a tag with its attributes. The
 * longest text in any S3 request document is a key or prefix of 1,024 bytes, a few KiB once escaped.
 */
export const MAX_XML_RUN = 64 * 1024

// Tags a document has besides its listed elements: the root's two, a declaration, a comment or two.
const SLACK = 64

/**
 * XML_LIMITS gives each document with more than a few hundred elements its budget, by root element; every other
 * document gets {@link DEFAULT_XML_LIMITS}. Each is what the largest document S3 accepts of that kind needs,
 * every element written as a start and an end tag.
 */
export const XML_LIMITS: ReadonlyMap<string, XmlLimits> = new Map<string, XmlLimits>([
  // 10,000 parts (MAX_PARTS in handlers/multipart.ts), each Part with PartNumber, ETag and one checksum element.
  // The quotes of an ETag are two references as Go's encoder (minio-go) writes them (`&#34;`), two quotes as
  // the AWS SDKs and boto3 do.
  ['CompleteMultipartUpload', { tags: 10_000 * 4 * 2 + SLACK, references: 10_000 * 2 + SLACK, quotes: 10_000 * 2 + SLACK }],
  // 1,000 objects (MAX_DELETE_KEYS in handlers/delete.ts), each Object with Key, VersionId, ETag,
  // LastModifiedTime and Size, and Quiet. A key may need escaping (`&`, `<`, quotes, CR as `&#13;`) or hold
  // quotes: 64 of each a key on average, far past any real key set.
  ['Delete', { tags: 1_000 * 6 * 2 + 2 * 2 + SLACK, references: 1_000 * 64, quotes: 1_000 * 64 }],
  // 1,000 rules (MAX_LIFECYCLE_RULES) of up to 64 elements each: ID, Status, a Filter with And, Prefix, ten
  // Tags and both size bounds, every expiration and transition action. Names and prefixes may need escaping.
  ['LifecycleConfiguration', { tags: 1_000 * 64 * 2 + SLACK, references: 1_000 * 64, quotes: 1_000 * 64 }],
  // MinIO's older name of the lifecycle root, which decodeLifecycle reads too.
  ['BucketLifecycleConfiguration', { tags: 1_000 * 64 * 2 + SLACK, references: 1_000 * 64, quotes: 1_000 * 64 }],
])

/**
 * DEFAULT_XML_LIMITS is the budget of every other document (tagging, ACL, object lock, versioning, bucket
 * encryption, CreateBucketConfiguration): 50 tags or 100 grants are a few hundred elements; a 64 KiB tag set
 * of nothing but `&amp;` is 13,000 references.
 */
export const DEFAULT_XML_LIMITS: XmlLimits = { tags: 16_384, references: 16_384, quotes: 16_384 }

/**
 * countUpTo counts the ASCII character `char` in `body`, stopping at `max + 1`, which it also returns for a
 * stretch longer than `maxRun` without one; throws nothing. A Buffer is searched as bytes before it is decoded
 * (an ASCII byte is never part of a UTF-8 sequence), with a numeric needle: a string needle is converted on
 * every call, five times slower. A run is measured in bytes of a Buffer, UTF-16 units of a string.
 */
function countUpTo(body: Buffer | string, char: string, max: number, maxRun = Infinity): number {
  const needle = typeof body === 'string' ? char : char.charCodeAt(0)
  // One signature for both: a string searched for a string, a Buffer for a byte.
  const find = body.indexOf.bind(body) as (needle: string | number, from: number) => number
  let n = 0
  let previous = -1
  for (let at = find(needle, 0); at !== -1; at = find(needle, at + 1)) {
    if (++n > max || at - previous > maxRun) return max + 1
    previous = at
  }
  return body.length - previous > maxRun ? max + 1 : n
}

/** markupOver reports whether a body exceeds `limits` or {@link MAX_XML_RUN}; four memchr passes at most, throws nothing. */
function markupOver(body: Buffer | string, limits: XmlLimits): boolean {
  if (countUpTo(body, '<', limits.tags, MAX_XML_RUN) > limits.tags) return true
  if (countUpTo(body, '&', limits.references) > limits.references) return true
  // Both quote characters share one budget.
  const doubles = countUpTo(body, '"', limits.quotes)
  return doubles > limits.quotes || countUpTo(body, "'", limits.quotes - doubles) > limits.quotes - doubles
}

/**
 * xmlBodyParser builds the one guarded parser every S3 XML body goes through; throws nothing itself.
 * The parser it returns throws S3Error MalformedXML when the body is empty, holds more tags, references or quotes
 * than its root's {@link XmlLimits} ({@link XML_LIMITS}, else {@link DEFAULT_XML_LIMITS}) or a stretch without a
 * tag longer than {@link MAX_XML_RUN}, is not well-formed (xml-reader.ts; a DTD included), nests deeper than
 * {@link MAX_XML_DEPTH}, or its root is not `root`; it returns the root's content.
 */
export function xmlBodyParser(shape: XmlShape): (body: Buffer | string, root: string) => Record<string, unknown> {
  const options: XmlReadOptions = {
    arrays: new Set(shape.arrays),
    trimValues: shape.trimValues ?? true,
    removeNSPrefix: shape.removeNSPrefix ?? false,
    maxDepth: MAX_XML_DEPTH,
  }
  return (body, root) => {
    const limits = XML_LIMITS.get(root) ?? DEFAULT_XML_LIMITS
    // Counted first, in one linear pass each, so the reader only ever sees a document whose work is bounded by
    // its kind. MalformedXML, as AWS answers a document that does not match the schema (and as the part or key
    // count checked after reading answers): the bytes were within the size limit.
    if (markupOver(body, limits)) throw s3err('MalformedXML')
    const text = typeof body === 'string' ? body : body.toString('utf8')
    let doc: { name: string; value: unknown }
    try {
      doc = readXml(text, options)
    } catch {
      // Every refusal of the reader (syntax, depth, references, a DTD) is the client's XML.
      throw s3err('MalformedXML')
    }
    if (doc.name !== root) throw s3err('MalformedXML')
    const content = doc.value
    return typeof content === 'object' && content !== null ? content as Record<string, unknown> : {}
  }
}

/**
 * parseXml parses a request body of the core API (DeleteObjects, CompleteMultipartUpload,
 * CreateBucket), returning the root element's content. Throws S3Error MalformedXML as {@link xmlBodyParser}.
 */
export const parseXml = xmlBodyParser({ arrays: ['Part', 'Object'] })
