import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { connect } from 'node:tls'
import { promisify } from 'node:util'
import {
  GetObjectCommand, HeadObjectCommand, ListBucketsCommand, PutObjectCommand,
} from '@aws-sdk/client-s3'
import { describe, expect, it } from 'vitest'
import { ROOT_PASSWORD, ROOT_USER, s3error, useS3 } from '../helpers/s3.js'

const run = promisify(execFile)
const fx = useS3({ buckets: ['bad'] })

/** curl signs with its own SigV4 implementation (an independent client). */
async function curl(path: string, args: string[] = [], sign = true): Promise<{ status: number; body: string }> {
  const auth = sign ? ['--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', `${ROOT_USER}:${ROOT_PASSWORD}`, '-H', 'x-amz-content-sha256: UNSIGNED-PAYLOAD'] : []
  const { stdout } = await run('curl', ['-s', '--cacert', fx.pki.ca.certFile, ...auth, ...args, '-w', '\n%{http_code}', fx.server.url + path])
  const at = stdout.lastIndexOf('\n')
  return { status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) }
}

/** raw sends bytes over TLS and returns the whole response text. */
function raw(payload: string | Buffer): Promise<string> {
  const url = new URL(fx.server.url)
  return new Promise((resolve, reject) => {
    const sock = connect({ host: url.hostname, port: Number(url.port), ca: fx.pki.ca.certPem }, () => sock.end(payload))
    const chunks: Buffer[] = []
    sock.on('data', (c: Buffer) => chunks.push(c))
    sock.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')))
    sock.on('error', reject)
    sock.setTimeout(10_000, () => sock.destroy(new Error('timeout')))
  })
}

describe('bad input gets the right S3 error, never a 5xx', () => {
  it('refuses bad signatures, unknown keys, skewed clocks and anonymous requests', async () => {
    const wrongSecret = await s3error(fx.client({ credentials: { accessKeyId: ROOT_USER, secretAccessKey: 'not-the-secret' } }).send(new ListBucketsCommand({})))
    expect(wrongSecret.name).toBe('SignatureDoesNotMatch')
    expect(wrongSecret.$metadata.httpStatusCode).toBe(403)
    expect(wrongSecret.$metadata.requestId).toMatch(/^[0-9A-F]{16}$/)
    const unknown = await s3error(fx.client({ credentials: { accessKeyId: 'nobody', secretAccessKey: 'x' } }).send(new ListBucketsCommand({})))
    expect(unknown.name).toBe('InvalidAccessKeyId')
    const skewed = await s3error(fx.client({ systemClockOffset: -3600_000 }).send(new ListBucketsCommand({})))
    expect(skewed.name).toBe('RequestTimeTooSkewed')
    const anon = await curl('/bad', [], false)
    expect(anon.status).toBe(403)
    expect(anon.body).toContain('<Code>AccessDenied</Code>')
    const v2 = await curl('/bad?AWSAccessKeyId=x&Signature=y&Expires=1', [], false)
    expect(v2.status).toBe(403)
  })

  it('answers malformed XML, bad digests and bad checksums without creating objects', async () => {
    const md5 = createHash('md5').update('garbage<<').digest('base64')
    const del = await curl('/bad?delete=', ['-X', 'POST', '-H', `Content-MD5: ${md5}`, '--data-binary', 'garbage<<'])
    expect(del.status).toBe(400)
    expect(del.body).toContain('<Code>MalformedXML</Code>')
    const wrongMd5 = await curl('/bad/obj', ['-X', 'PUT', '-H', `Content-MD5: ${md5}`, '--data-binary', 'other body'])
    expect(wrongMd5.body).toContain('<Code>BadDigest</Code>')
    const wrongCrc = await curl('/bad/obj', ['-X', 'PUT', '-H', 'x-amz-checksum-crc32: AAAAAA==', '--data-binary', 'other body'])
    expect(wrongCrc.status).toBe(400)
    expect(wrongCrc.body).toContain('<Code>BadDigest</Code>')
    const missing = await s3error(fx.client().send(new HeadObjectCommand({ Bucket: 'bad', Key: 'obj' })))
    expect(missing.$metadata.httpStatusCode).toBe(404)
    const complete = await curl('/bad/obj?uploadId=nope', ['-X', 'POST', '--data-binary', '<CompleteMultipartUpload><Part>'])
    expect(complete.body).toContain('<Code>NoSuchUpload</Code>')
    const badXmlBucket = await curl('/newbucket', ['-X', 'PUT', '--data-binary', '<CreateBucketConfiguration><Loc'])
    expect(badXmlBucket.body).toContain('<Code>MalformedXML</Code>')
  })

  it('handles oversized headers and metadata, bad encodings, ranges and garbage', async () => {
    const huge = await raw(`GET /bad HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(40_000)}\r\n\r\n`)
    expect(huge).toMatch(/^HTTP\/1\.1 400 /)
    expect(huge).toContain('<Code>RequestHeaderSectionTooLarge</Code>')
    const meta = await s3error(fx.client().send(new PutObjectCommand({ Bucket: 'bad', Key: 'm', Body: 'x', Metadata: { big: 'v'.repeat(3000) } })))
    expect(meta.name).toBe('MetadataTooLarge')
    const garbage = await raw('NOT-HTTP\r\n\r\n')
    expect(garbage).toMatch(/^HTTP\/1\.1 400 /)
    const enc = await curl('/bad/%zz', [], false)
    expect(enc.status).toBe(400)
    await fx.client().send(new PutObjectCommand({ Bucket: 'bad', Key: 'r', Body: '0123456789' }))
    const invalid = await s3error(fx.client().send(new GetObjectCommand({ Bucket: 'bad', Key: 'r', Range: 'bytes=10-' })))
    expect(invalid.name).toBe('InvalidRange')
    const ignored = await curl('/bad/r', ['-H', 'Range: bytes=abc'])
    expect(ignored.status).toBe(200)
    expect(ignored.body).toBe('0123456789')
    for (const [method, path] of [['PATCH', '/bad'], ['POST', '/'], ['GET', '/bad/r?uploadId=x'], ['DELETE', '/']]) {
      const r = await curl(path!, ['-X', method!])
      expect(r.status, `${method} ${path}`).toBeGreaterThanOrEqual(400)
      expect(r.status, `${method} ${path}`).toBeLessThan(500)
    }
    const notImpl = await curl('/bad?inventory=')
    expect(notImpl.status).toBe(501)
  })

  it('sends response-* overrides Node would refuse as MinIO does: UTF-8 raw, control characters as spaces', async () => {
    await fx.client().send(new PutObjectCommand({ Bucket: 'bad', Key: 'ov', Body: 'x' }))
    const head = async (query: string): Promise<{ status: number; head: string }> => {
      const { stdout } = await run('curl', ['-s', '-D', '-', '-o', '/dev/null', '--cacert', fx.pki.ca.certFile, '--aws-sigv4', 'aws:amz:us-east-1:s3',
        '--user', `${ROOT_USER}:${ROOT_PASSWORD}`, '-H', 'x-amz-content-sha256: UNSIGNED-PAYLOAD', `${fx.server.url}/bad/ov?${query}`], { encoding: 'latin1' })
      return { status: Number(stdout.split(' ')[1]), head: stdout }
    }
    const euro = await head('response-content-type=%E2%82%AC')
    expect(euro.status).toBe(200)
    expect(Buffer.from(/content-type: ([^\r]*)/i.exec(euro.head)![1]!, 'latin1').toString('utf8')).toBe('€')
    const injected = await head('response-cache-control=%0D%0Ax-injected%3A1')
    expect(injected.status).toBe(200)
    expect(injected.head).not.toMatch(/^x-injected/im)
    expect(injected.head).toMatch(/cache-control: {3}x-injected:1\r\n/i)
    for (const q of ['response-content-encoding=%7F', 'response-expires=%E2%82%AC', 'response-content-disposition=a%00b']) {
      expect((await head(q)).status, q).toBe(200)
    }
  })

  it('keeps hostile key names inside DATA_DIR', async () => {
    const s3 = fx.client()
    const keys = ['ü/日本/\u{1F600}', 'tab\there', 'ctl\u0001\u001f', 'a'.repeat(1024), 'a..b/...']
    for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: 'bad', Key, Body: Key }))
    // Dot segments are refused, as MinIO does: a policy reads them as a path, so they would alias other keys.
    // So is NUL, which no XML listing can carry (MinIO refuses it too).
    for (const Key of ['../../../../etc/passwd', '..', './x/../../y', 'a\u0000b', '\u0000']) {
      expect((await s3error(s3.send(new PutObjectCommand({ Bucket: 'bad', Key, Body: Key })))).name).toBe('InvalidObjectName')
    }
    for (const Key of keys) {
      const got = await s3.send(new GetObjectCommand({ Bucket: 'bad', Key }))
      expect(await got.Body!.transformToString()).toBe(Key)
    }
    const tooLong = await s3error(s3.send(new PutObjectCommand({ Bucket: 'bad', Key: 'a'.repeat(1025), Body: 'x' })))
    expect(tooLong.name).toBe('KeyTooLongError')
    const top = readdirSync(fx.dataDir).sort()
    expect(top.every((n) => n === 'blobs' || n.startsWith('keyhold-s3.db'))).toBe(true)
    for (const dir of readdirSync(`${fx.dataDir}/blobs`)) {
      for (const f of readdirSync(`${fx.dataDir}/blobs/${dir}`)) expect(f).toMatch(/^[0-9a-f]{32}$/)
    }
  })
})
