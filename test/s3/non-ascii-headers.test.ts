import { execFile } from 'node:child_process'
import { request } from 'node:https'
import { promisify } from 'node:util'
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startS3, type S3Fixture } from '../helpers/s3.js'

// Clients send and sign non-ASCII header values as UTF-8 (botocore, Go's net/http); Node reads each byte as one
// latin-1 character. These tests pin that such values are verified over the bytes sent, stored as the text
// meant, and answered as UTF-8 bytes, as MinIO answers them.
const run = promisify(execFile)
let fx: S3Fixture

beforeAll(async () => {
  fx = await startS3()
  await fx.client().send(new CreateBucketCommand({ Bucket: 'unicode' }))
})
afterAll(async () => {
  await fx?.close()
})

/** rawGet fetches a URL and gives back the named response header's bytes exactly as sent. */
function rawHeaderBytes(url: string, name: string): Promise<{ status: number; bytes: Buffer | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: fx.pki.ca.certPem }, (res) => {
      res.resume()
      const value = res.headers[name]
      // Node reads header bytes as latin-1: turning the text back into latin-1 gives the bytes on the wire.
      resolve({ status: res.statusCode ?? 0, bytes: typeof value === 'string' ? Buffer.from(value, 'latin1') : undefined })
    })
    req.on('error', reject)
    req.end()
  })
}

// One Python process for the boto3 calls: its start-up costs a second of the two shared cores.
const SCRIPT = `
import sys, boto3
from botocore.config import Config
url = sys.argv[1]
def utf8(v): return v.encode('latin-1').decode('utf-8')
for sig, key in (('s3v4', 'v4'), ('s3', 'v2')):
    s3 = boto3.client('s3', endpoint_url=url, region_name='us-east-1', config=Config(signature_version=sig, s3={'addressing_style': 'path'}))
    def meta(**kw): kw['params']['headers']['x-amz-meta-greeting'] = u'Hello World\\xe9 \\u20ac \\U0001F600'
    s3.meta.events.register('before-call.s3.PutObject', meta)
    s3.put_object(Bucket='unicode', Key=key, Body=b'body', ContentDisposition=u'attachment; filename="r\\xe9sum\\xe9.pdf"', ContentType=u'text/plain; name=\\u00fcber')
    h = s3.head_object(Bucket='unicode', Key=key)
    # http.client reads answer headers as latin-1: the UTF-8 bytes MinIO answers come back through utf8().
    assert utf8(h['Metadata']['greeting']) == u'Hello World\\xe9 \\u20ac \\U0001F600', h['Metadata']
    assert utf8(h['ContentDisposition']) == u'attachment; filename="r\\xe9sum\\xe9.pdf"', h['ContentDisposition']
    assert utf8(h['ContentType']) == u'text/plain; name=\\u00fcber', h['ContentType']
print('ok')
`

describe('non-ASCII header values', () => {
  it('boto3 (SigV4 and SigV2) stores UTF-8 metadata and content headers it signed, and reads them back byte for byte', async () => {
    const out = await run('python3', ['-c', SCRIPT, fx.server.url], { env: fx.env(), timeout: 60_000 })
    expect(out.stdout.trim()).toBe('ok')
  }, 60_000)

  it('stores the text the client meant: the AWS SDK sees the same metadata as boto3 sent', async () => {
    const head = await fx.client().send(new HeadObjectCommand({ Bucket: 'unicode', Key: 'v4' }))
    const greeting = head.Metadata?.greeting ?? ''
    expect(Buffer.from(greeting, 'latin1').toString('utf8')).toBe('Hello World\u00e9 \u20ac \u{1F600}')
  })

  it('the AWS SDK for JavaScript sends UTF-8 as well: its metadata verifies and comes back as the same bytes', async () => {
    // Node's HTTP client takes characters up to U+00FF only, and writes them as UTF-8.
    await fx.client().send(new PutObjectCommand({ Bucket: 'unicode', Key: 'js', Body: 'x', Metadata: { city: 'Z\u00fcrich' } }))
    const head = await fx.client().send(new HeadObjectCommand({ Bucket: 'unicode', Key: 'js' }))
    expect(Buffer.from(head.Metadata?.city ?? '', 'latin1').toString('utf8')).toBe('Z\u00fcrich')
  })

  it('counts the 2 KiB metadata limit in the bytes sent: 1,100 "\u00e9" (2,200 bytes) are refused, 1,000 kept', async () => {
    const put = (n: number): Promise<unknown> => fx.client().send(new PutObjectCommand({
      Bucket: 'unicode', Key: `limit-${n}`, Body: 'x', Metadata: { m: '\u00e9'.repeat(n) },
    })).then(() => 'stored', (e: unknown) => (e as { name?: string }).name)
    expect(await put(1100)).toBe('MetadataTooLarge')
    expect(await put(1000)).toBe('stored')
  })

  it('a response-content-disposition override with non-ASCII text is answered as its UTF-8 bytes', async () => {
    await fx.client().send(new PutObjectCommand({ Bucket: 'unicode', Key: 'plain', Body: 'x' }))
    for (const name of ['r\u00e9sum\u00e9.pdf', '\u20ac.txt']) {
      const url = await getSignedUrl(fx.client(), new GetObjectCommand({
        Bucket: 'unicode', Key: 'plain', ResponseContentDisposition: `attachment; filename="${name}"`,
      }), { expiresIn: 60 })
      const got = await rawHeaderBytes(url, 'content-disposition')
      expect(got.status).toBe(200)
      expect(got.bytes?.toString('utf8')).toBe(`attachment; filename="${name}"`)
    }
  })
})
