/**
 * S3 XML: a small builder for responses and a guarded parser for request bodies.
 *
 * @module
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { s3err } from './errors.js'

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

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

/**
 * decodeEntities replaces XML's five named entities and numeric character references in one pass (so
 * `&amp;#34;` stays the text `&#34;`). Throws RangeError for a reference past U+10FFFF (the parser's caller
 * answers MalformedXML).
 */
export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text
  return text.replace(/&(amp|lt|gt|quot|apos|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});/g, (_m, ref: string) => {
    if (ref[0] !== '#') return NAMED[ref]!
    return String.fromCodePoint(ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10))
  })
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

// S3 request documents never carry a DTD: refusing one outright rules out entity expansion (billion
// laughs) and external entities, whatever the parser would do with them.
const DTD = /<!(?:DOCTYPE|ENTITY)/i

/**
 * xmlBodyParser builds the one guarded parser every S3 XML body goes through; throws nothing itself.
 * The parser it returns throws S3Error MalformedXML when the body is empty, not well-formed, carries a
 * DTD, nests deeper than {@link MAX_XML_DEPTH}, or its root is not `root`; it returns the root's content.
 */
export function xmlBodyParser(shape: XmlShape): (body: Buffer | string, root: string) => Record<string, unknown> {
  const arrays = new Set(shape.arrays)
  const parser = new XMLParser({
    ignoreAttributes: true,
    parseTagValue: false,
    trimValues: shape.trimValues ?? true,
    removeNSPrefix: shape.removeNSPrefix ?? false,
    // Entities are decoded here in one pass (decodeEntities): the parser's own pass leaves numeric character
    // references alone, and Go's encoder writes every `"` of an ETag as `&#34;`, boto3 a CR in a key as `&#13;`.
    processEntities: false,
    tagValueProcessor: (_name: string, value: string) => decodeEntities(value),
    maxNestedTags: MAX_XML_DEPTH,
    isArray: (name) => arrays.has(name),
  })
  return (body, root) => {
    const text = typeof body === 'string' ? body : body.toString('utf8')
    if (text.trim() === '' || DTD.test(text)) throw s3err('MalformedXML')
    let doc: Record<string, unknown>
    try {
      if (XMLValidator.validate(text) !== true) throw s3err('MalformedXML')
      doc = parser.parse(text) as Record<string, unknown>
    } catch {
      // Every refusal of the parser (syntax, depth, entities, even a stack overflow) is the client's XML.
      throw s3err('MalformedXML')
    }
    const content = doc[root]
    if (content === undefined) throw s3err('MalformedXML')
    return typeof content === 'object' && content !== null ? content as Record<string, unknown> : {}
  }
}

/**
 * parseXml parses a request body of the core API (DeleteObjects, CompleteMultipartUpload,
 * CreateBucket), returning the root element's content. Throws S3Error MalformedXML as {@link xmlBodyParser}.
 */
export const parseXml = xmlBodyParser({ arrays: ['Part', 'Object'] })
