/**
 * XML request bodies are counted before they are validated or parsed: a body within its byte limit but made of
 * nothing but markup (4 MiB of `<a/>` or of `&amp;`, one tag of 400,000 attributes, one run of 4 MiB of spaces)
 * held the event loop for seconds per request, every other client waiting (found by an attack). The largest
 * documents S3 accepts of each kind must still be read whole:
 * 10,000 checksummed parts with minio-go's `&#34;` ETag quotes, 1,000 keys to delete with every field.
 */
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { CreateBucketCommand, CreateMultipartUploadCommand, HeadBucketCommand, UploadPartCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_XML_LIMITS, MAX_XML_RUN, parseXml, XML_LIMITS, xmlBodyParser } from '../../src/s3/api/xml.js'
import { S3Error } from '../../src/s3/api/errors.js'
import { ROOT_PASSWORD, ROOT_USER, startS3, type S3Fixture } from '../helpers/s3.js'

const run = promisify(execFile)
let fx: S3Fixture
let dir: string

beforeAll(async () => {
  fx = await startS3()
  dir = mkdtempSync(join(tmpdir(), 'keyhold-xml-limits-'))
  await fx.client().send(new CreateBucketCommand({ Bucket: 'xml' }))
})
afterAll(async () => {
  await fx.close()
  rmSync(dir, { recursive: true, force: true })
})

const MiB = 1 << 20
const Q = '&#34;'
const MALFORMED = 'The XML you provided was not well-formed or did not validate against our published schema.'

/** 4 MiB, the most CompleteMultipartUpload reads, of markup alone. */
const EMPTY_ELEMENTS = `<CompleteMultipartUpload>${'<a/>'.repeat(MiB - 16)}</CompleteMultipartUpload>`
const REFERENCES = `<CompleteMultipartUpload><a>${'&amp;'.repeat((4 * MiB) / 5 - 16)}</a></CompleteMultipartUpload>`
/** Few tags, but one run of text the parser appends a character at a time, and one tag of 400,000 attributes. */
const WHITESPACE = `<CompleteMultipartUpload>${' '.repeat(4 * MiB - 64)}</CompleteMultipartUpload>`
const ATTRIBUTES = `<CompleteMultipartUpload><a ${Array.from({ length: 400_000 }, (_, i) => `a${i}="1"`).join(' ').slice(0, 4 * MiB - 128).replace(/ [^ ]*$/, '')}/></CompleteMultipartUpload>`

/** minio-go's document: Go's encoder writes each `"` of an ETag as `&#34;`; one checksum element a part. */
function goComplete(parts: Array<{ n: number; etag: string; sha256?: string }>): string {
  return '<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' + parts.map((p) =>
    `<Part><PartNumber>${p.n}</PartNumber><ETag>${Q}${p.etag}${Q}</ETag>${p.sha256 === undefined ? '' : `<ChecksumSHA256>${p.sha256}</ChecksumSHA256>`}</Part>`).join('') +
    '</CompleteMultipartUpload>'
}

const tenThousandParts = (): Array<{ n: number; etag: string; sha256: string }> => Array.from({ length: 10_000 }, (_, i) =>
  ({ n: i + 1, etag: createHash('md5').update(String(i)).digest('hex'), sha256: createHash('sha256').update(String(i)).digest('base64') }))

function code(fn: () => unknown): string {
  try {
    fn()
    return 'ok'
  } catch (err) {
    return err instanceof S3Error ? err.code : String(err)
  }
}

interface Answer { status: number; body: string }

/** curl signs with its own SigV4, so a body goes byte for byte as written (through a file). */
async function curl(method: string, path: string, body: string): Promise<Answer> {
  const file = join(dir, `body-${Math.random().toString(36).slice(2)}`)
  writeFileSync(file, body)
  const { stdout } = await run('curl', ['-s', '--cacert', fx.pki.ca.certFile, '--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', `${ROOT_USER}:${ROOT_PASSWORD}`,
    '-X', method, '-H', 'x-amz-content-sha256: UNSIGNED-PAYLOAD', '-w', '\n%{http_code}', '--data-binary', `@${file}`, `${fx.server.url}${path}`],
  { maxBuffer: 1 << 24, timeout: 60_000 })
  const at = stdout.lastIndexOf('\n')
  return { status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) }
}

describe('XML markup limits', () => {
  it('refuse a body of markup alone as MalformedXML without parsing it', () => {
    expect(code(() => parseXml(Buffer.from(EMPTY_ELEMENTS), 'CompleteMultipartUpload'))).toBe('MalformedXML')
    expect(code(() => parseXml(Buffer.from(REFERENCES), 'CompleteMultipartUpload'))).toBe('MalformedXML')
    expect(code(() => parseXml(Buffer.from(WHITESPACE), 'CompleteMultipartUpload'))).toBe('MalformedXML')
    expect(code(() => parseXml(Buffer.from(ATTRIBUTES), 'CompleteMultipartUpload'))).toBe('MalformedXML')
    // Attributes spread over many tags are bounded by the quotes they need.
    expect(code(() => parseXml(`<CompleteMultipartUpload>${'<a b="1" c=\'2\'/>'.repeat(10_100)}</CompleteMultipartUpload>`, 'CompleteMultipartUpload'))).toBe('MalformedXML')
    // The default budget, for every other document: a 1 MiB versioning document of empty elements or references.
    expect(code(() => parseXml(`<VersioningConfiguration>${'<a/>'.repeat(MiB / 4 - 16)}</VersioningConfiguration>`, 'VersioningConfiguration'))).toBe('MalformedXML')
    expect(code(() => parseXml(`<VersioningConfiguration><Status>${'&amp;'.repeat(MiB / 5 - 16)}</Status></VersioningConfiguration>`, 'VersioningConfiguration')))
      .toBe('MalformedXML')
    const limits = XML_LIMITS.get('Delete')!
    const parseDelete = xmlBodyParser({ arrays: ['Object'], trimValues: false })
    expect(code(() => parseDelete(`<Delete>${'<a/>'.repeat(limits.tags)}</Delete>`, 'Delete'))).toBe('MalformedXML')
    expect(code(() => parseDelete(`<Delete><Object><Key>${'&amp;'.repeat(limits.references + 1)}</Key></Object></Delete>`, 'Delete'))).toBe('MalformedXML')
    // Just within the budget is still parsed, and so is the longest run of text allowed.
    expect(code(() => parseXml(`<Tagging><TagSet>${'&amp;'.repeat(DEFAULT_XML_LIMITS.references / 2)}</TagSet><TagSet>${'&amp;'.repeat(DEFAULT_XML_LIMITS.references / 2)}</TagSet></Tagging>`, 'Tagging'))).toBe('ok')
    expect(code(() => parseXml(`<Tagging><TagSet>${'x'.repeat(MAX_XML_RUN - '<TagSet>'.length)}</TagSet></Tagging>`, 'Tagging'))).toBe('ok')
    expect(code(() => parseXml(`<Tagging><TagSet>${'x'.repeat(MAX_XML_RUN - '<TagSet>'.length + 1)}</TagSet></Tagging>`, 'Tagging'))).toBe('MalformedXML')
  })

  it('read the largest documents S3 accepts whole', () => {
    const complete = parseXml(Buffer.from(goComplete(tenThousandParts())), 'CompleteMultipartUpload')
    expect(complete.Part).toHaveLength(10_000)
    expect((complete.Part as Array<Record<string, unknown>>)[9_999]).toMatchObject({ PartNumber: '10000', ETag: `"${createHash('md5').update('9999').digest('hex')}"` })
    // The SDK's document: plain quotes, a CRC32 a part.
    const sdk = '<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
      Array.from({ length: 10_000 }, (_, i) => `<Part><ChecksumCRC32>AAAAAA==</ChecksumCRC32><ETag>"${'0'.repeat(32)}"</ETag><PartNumber>${i + 1}</PartNumber></Part>`).join('') +
      '</CompleteMultipartUpload>'
    expect(parseXml(sdk, 'CompleteMultipartUpload').Part).toHaveLength(10_000)
    // 1,000 keys with every field, each key needing a few references (`&`, quotes, a CR as boto3 writes it).
    const del = '<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet>' +
      Array.from({ length: 1_000 }, (_, i) => `<Object><Key>a &amp; b &#34;${i}&#34; &lt;c&gt;&#13;</Key><VersionId>${randomBytes(16).toString('hex')}</VersionId>` +
        `<ETag>${Q}${'0'.repeat(32)}${Q}</ETag><LastModifiedTime>2025-01-01T00:00:00.000Z</LastModifiedTime><Size>1</Size></Object>`).join('') + '</Delete>'
    const parsed = xmlBodyParser({ arrays: ['Object'], trimValues: false })(del, 'Delete')
    expect(parsed.Object).toHaveLength(1_000)
    expect((parsed.Object as Array<Record<string, unknown>>)[7]!.Key).toBe('a & b "7" <c>\r')
    // The longest key, every character escaped, with raw quotes as the AWS SDKs leave them.
    const longest = `<Delete><Object><Key>${'&amp;'.repeat(512)}${'"'.repeat(512)}</Key></Object></Delete>`
    expect((xmlBodyParser({ arrays: ['Object'], trimValues: false })(longest, 'Delete').Object as Array<Record<string, unknown>>)[0]!.Key).toBe('&'.repeat(512) + '"'.repeat(512))
  })

  it('answer a 4 MiB CompleteMultipartUpload of markup at once, other requests meanwhile too; take 10,000 parts and minio-go ETags', async () => {
    const s3 = fx.client()
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'xml', Key: 'mp' }))
    const path = `/xml/mp?uploadId=${UploadId}`
    let done = false
    const probes: number[] = []
    const probing = (async () => {
      while (!done) {
        const t0 = performance.now()
        await s3.send(new HeadBucketCommand({ Bucket: 'xml' }))
        probes.push(performance.now() - t0)
        await new Promise((r) => setTimeout(r, 10))
      }
    })()
    // Several at once: parsed whole, each held the event loop 1.5 s or more, and a probe waited for all of them
    // (3.7 s and more before the limits; a second at most since, on a loaded machine starting six curls).
    const answers = await Promise.all([EMPTY_ELEMENTS, REFERENCES, WHITESPACE, ATTRIBUTES, EMPTY_ELEMENTS, REFERENCES].map((b) => curl('POST', path, b)))
    done = true
    await probing
    for (const a of answers) {
      expect(a.status, a.body).toBe(400)
      expect(a.body).toContain('<Code>MalformedXML</Code>')
      expect(a.body).toContain(`<Message>${MALFORMED}</Message>`)
    }
    expect(probes.length).toBeGreaterThan(0)
    expect(Math.max(...probes)).toBeLessThan(2_500)

    // 10,000 parts that do not exist: the whole list is read, and the answer is about the parts.
    const many = await curl('POST', path, goComplete(tenThousandParts()))
    expect(many.status, many.body).toBe(400)
    expect(many.body).toContain('<Code>InvalidPart</Code>')
    // A real completion as minio-go writes it.
    const part = await s3.send(new UploadPartCommand({ Bucket: 'xml', Key: 'mp', UploadId, PartNumber: 1, Body: 'minio-go' }))
    const ok = await curl('POST', path, goComplete([{ n: 1, etag: part.ETag!.replace(/"/g, '') }]))
    expect(ok.status, ok.body).toBe(200)
    expect(ok.body).toContain('<CompleteMultipartUploadResult')
  })
})
