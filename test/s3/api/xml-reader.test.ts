/**
 * The reader every S3 request document goes through (src/s3/api/xml-reader.ts). An attacker tries first what a
 * lenient parser lets through or pays for: a DTD (entity expansion, external entities), nesting that recurses,
 * element names that reach an object's prototype, and malformed documents that might be half read. Then the
 * shapes the handlers read, checked against what clients send.
 */
import { describe, expect, it } from 'vitest'
import { readXml, XmlSyntaxError, type XmlReadOptions } from '../../../src/s3/api/xml-reader.js'

const options: XmlReadOptions = { arrays: new Set(['Part']), trimValues: true, removeNSPrefix: false, maxDepth: 32 }
const read = (text: string, o: Partial<XmlReadOptions> = {}): unknown => readXml(text, { ...options, ...o })

describe('what an attacker sends first', () => {
  it.each([
    ['an internal DTD (entity expansion)', '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa">]><A>&a;</A>'],
    ['an external entity', '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><A>&x;</A>'],
    ['a DTD after a comment', '<!-- hi --><!DOCTYPE A><A/>'],
    ['a DTD inside the root', '<A><!DOCTYPE A></A>'],
    ['an entity no DTD declares', '<A>&nbsp;</A>'],
    ['a bare ampersand', '<A>a & b</A>'],
    ['an unterminated reference', '<A>&amp</A>'],
    ['a character reference past U+10FFFF', '<A>&#x110000;</A>'],
    ['a surrogate as a character reference', '<A>&#xD800;</A>'],
    ['a reference in an attribute that is not one', '<A b="&x;"/>'],
  ])('refuses %s', (_what, text) => {
    expect(() => read(text)).toThrow(XmlSyntaxError)
  })

  it('refuses nesting past its depth without recursing (100,000 levels)', () => {
    expect(() => read('<A>'.repeat(100_000))).toThrow(/nested too deep/)
    expect(() => read('<A>'.repeat(33) + '</A>'.repeat(33))).toThrow(/nested too deep/)
    expect(read('<A>'.repeat(32) + '</A>'.repeat(32))).toBeDefined()
  })

  it('checks 100,000 attributes of one tag for repeats in linear time', () => {
    // Quadratic, as a list searched for each name, this is 5e9 comparisons: tens of seconds.
    const tag = `<A ${Array.from({ length: 100_000 }, (_, i) => `a${i}="1"`).join(' ')}/>`
    const t0 = performance.now()
    expect(read(tag)).toEqual({ name: 'A', value: '' })
    expect(performance.now() - t0).toBeLessThan(2_000)
    expect(() => read(tag.replace('/>', ' a99999="2"/>'))).toThrow(/a99999 repeated/)
  })

  it('keeps element names such as __proto__ as own data, never reaching a prototype', () => {
    const doc = read('<A><__proto__><polluted>yes</polluted></__proto__><constructor>c</constructor></A>') as { value: Record<string, unknown> }
    expect(Object.getPrototypeOf(doc.value)).toBe(Object.prototype)
    expect(Object.keys(doc.value)).toEqual(['__proto__', 'constructor'])
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect((doc.value.__proto__ as unknown as Record<string, unknown>).polluted).toBe('yes')
  })

  it.each([
    ['an unclosed root', '<A><B>x</B>'],
    ['a mismatched end tag', '<A><B>x</C></A>'],
    ['an end tag without a start', '</A>'],
    ['text after the root', '<A/>x'],
    ['a second root', '<A/><B/>'],
    ['text before the root', 'x<A/>'],
    ['no root at all', '<?xml version="1.0"?>'],
    ['an empty document', ''],
    ['a declaration after the start', '<A/><?xml version="1.0"?>'],
    ['a malformed declaration', '<?xml version=1.0?><A/>'],
    ['a repeated attribute', '<A b="1" b="2"/>'],
    ['an unquoted attribute', '<A b=1/>'],
    ['an attribute without a value', '<A b/>'],
    ['attributes without space between them', '<A b="1"c="2"/>'],
    ["'<' in an attribute", '<A b="<"/>'],
    ['an unclosed comment', '<A><!-- x</A>'],
    ["'--' in a comment", '<A><!-- a -- b --></A>'],
    ['an unclosed CDATA section', '<A><![CDATA[x</A>'],
    ['a name starting with a digit', '<1A/>'],
    ['a tag cut short', '<A'],
  ])('refuses %s', (_what, text) => {
    expect(() => read(text)).toThrow(XmlSyntaxError)
  })
})

describe('the shapes handlers read', () => {
  it('reads a CompleteMultipartUpload as minio-go and the AWS SDKs write it', () => {
    const go = '<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><PartNumber>1</PartNumber><ETag>&#34;abc&#34;</ETag></Part></CompleteMultipartUpload>'
    const sdk = '<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ETag>"abc"</ETag><PartNumber>1</PartNumber></Part><Part><ETag>"def"</ETag><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>'
    expect(read(go)).toEqual({ name: 'CompleteMultipartUpload', value: { Part: [{ PartNumber: '1', ETag: '"abc"' }] } })
    expect(read(sdk)).toEqual({ name: 'CompleteMultipartUpload', value: { Part: [{ ETag: '"abc"', PartNumber: '1' }, { ETag: '"def"', PartNumber: '2' }] } })
  })

  it('makes a repeated element a list in document order, and a listed one a list even when alone', () => {
    expect(read('<A><B>1</B><C>x</C><B>2</B><B>3</B></A>')).toEqual({ name: 'A', value: { B: ['1', '2', '3'], C: 'x' } })
    expect(read('<A><Part/></A>')).toEqual({ name: 'A', value: { Part: [''] } })
  })

  it('decodes references once: a double-escaped one stays text', () => {
    expect(read('<A>&amp;#34;&#x41;&#65;&lt;&gt;&quot;&apos;</A>')).toEqual({ name: 'A', value: '&#34;AA<>"\'' })
  })

  it('keeps CDATA as written and joins it to the text around it', () => {
    expect(read('<A>a<![CDATA[<b>&amp;]]>c</A>')).toEqual({ name: 'A', value: 'a<b>&amp;c' })
  })

  it('trims text when asked, and keeps it whole (whitespace between elements under #text) when not', () => {
    const doc = '<A>\n  <K> k </K>\n</A>'
    expect(read(doc)).toEqual({ name: 'A', value: { K: 'k' } })
    expect(read(doc, { trimValues: false })).toEqual({ name: 'A', value: { K: ' k ', '#text': '\n  \n' } })
  })

  it('drops namespace prefixes when asked, attributes always', () => {
    const acl = '<AccessControlPolicy><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>id</ID></Grantee></Grant></AccessControlPolicy>'
    expect(read(acl)).toEqual({ name: 'AccessControlPolicy', value: { Grant: { Grantee: { ID: 'id' } } } })
    expect(read('<s3:A xmlns:s3="u"><s3:B>x</s3:B></s3:A>', { removeNSPrefix: true })).toEqual({ name: 'A', value: { B: 'x' } })
  })

  it('passes comments, processing instructions, a byte order mark and whitespace around the root', () => {
    expect(read('\ufeff<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<!-- c --><?pi x?>\n<A><!--c--><B>x</B><?pi?></A>\n<!-- end -->\n'))
      .toEqual({ name: 'A', value: { B: 'x' } })
  })

  it('reads an empty root and an empty element as empty text', () => {
    expect(read('<A/>')).toEqual({ name: 'A', value: '' })
    expect(read('<A><B></B><C/></A>')).toEqual({ name: 'A', value: { B: '', C: '' } })
  })
})
