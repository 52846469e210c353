/**
 * The form reader of browser uploads, with the inputs an attacker tries first: no file, endless fields, a
 * file that never closes, a file holding near-boundary bytes (which must come through unchanged).
 */
import { Readable } from 'node:stream'
import { text } from 'node:stream/consumers'
import { describe, expect, it } from 'vitest'
import { boundaryOf, MAX_FORM_FIELDS_BYTES, readPostForm } from '../../src/s3/api/form-data.js'

const B = 'XyZ123'
const part = (name: string, value: string, filename?: string): string =>
  `--${B}\r\nContent-Disposition: form-data; name="${name}"${filename === undefined ? '' : `; filename="${filename}"`}\r\n\r\n${value}\r\n`
// Chunks of 7 bytes, so every delimiter is split across reads.
const body = (s: string): Readable => Readable.from(Buffer.from(s).toString('latin1').match(/[\s\S]{1,7}/g)!.map((c) => Buffer.from(c, 'latin1')))

describe('POST form reader', () => {
  it('reads fields (names lower-cased, first wins), streams the file exactly, ignores what follows', async () => {
    const content = `a\r\n--${B.slice(0, 3)} not a boundary\r\n-${B}\r\n`
    const form = await readPostForm(body(part('Key', 'k1') + part('key', 'k2') + part('X-Amz-Meta-A', 'v') + part('file', content, 'f.txt') + part('after', 'ignored') + `--${B}--\r\n`), B)
    expect([...form.fields]).toEqual([['key', 'k1'], ['x-amz-meta-a', 'v']])
    expect(form.fileName).toBe('f.txt')
    expect(await text(form.file)).toBe(content)
  })

  it('refuses a form without a file, oversized fields, and a file that never closes', async () => {
    await expect(readPostForm(body(part('key', 'k') + `--${B}--\r\n`), B)).rejects.toThrow(/not well-formed multipart/)
    // Trickled 7 bytes at a time, 1 MiB of fields must be refused quickly (no quadratic copying).
    const started = Date.now()
    const huge = part('pad', 'x'.repeat(MAX_FORM_FIELDS_BYTES + 10))
    await expect(readPostForm(body(huge + part('file', 'f')), B)).rejects.toThrow(/fields preceding the upload file were too large/)
    expect(Date.now() - started).toBeLessThan(10_000)
    const open = await readPostForm(body(`--${B}\r\nContent-Disposition: form-data; name="file"\r\n\r\nno end`), B)
    await expect(text(open.file)).rejects.toThrow(/not well-formed multipart/)
    await expect(readPostForm(body('garbage without delimiters'), B)).rejects.toThrow(/not well-formed multipart/)
  })

  it('takes the boundary from Content-Type only for multipart/form-data', () => {
    expect(boundaryOf('multipart/form-data; boundary=abc')).toBe('abc')
    expect(boundaryOf('multipart/form-data; charset=utf-8; boundary="a b"')).toBe('a b')
    expect(() => boundaryOf('application/x-www-form-urlencoded')).toThrow(/not well-formed/)
    expect(() => boundaryOf(undefined)).toThrow(/not well-formed/)
  })
})
