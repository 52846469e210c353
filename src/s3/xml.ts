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

/** escapeXml escapes text for element content, and drops characters XML 1.0 cannot carry. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!)
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, (c) => `&#x${c.charCodeAt(0).toString(16)};`)
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

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  isArray: (name) => name === 'Part' || name === 'Object',
})

/**
 * parseXml parses a request body, returning the root element's content. Throws S3Error MalformedXML when the
 * body is not well-formed XML or its root is not `root`.
 */
export function parseXml(body: Buffer, root: string): Record<string, unknown> {
  const text = body.toString('utf8')
  if (text.trim() === '' || XMLValidator.validate(text) !== true) throw s3err('MalformedXML')
  let doc: Record<string, unknown>
  try {
    doc = parser.parse(text) as Record<string, unknown>
  } catch {
    throw s3err('MalformedXML')
  }
  const content = doc[root]
  if (content === undefined) throw s3err('MalformedXML')
  return typeof content === 'object' && content !== null ? content as Record<string, unknown> : {}
}
