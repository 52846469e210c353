/**
 * Response header names on the wire are spelled as AWS spells them: `ETag`, `Content-Type`, `Content-Length`,
 * `Last-Modified` in canonical case, `x-amz-*` in lower case. HTTP says names are case-insensitive, but libs3
 * (Debian's `s3` tool) compares them case-sensitively and lost ETag, Content-Type and Content-Length on HEAD.
 * Read from a raw TLS socket (every HTTP client library normalises names); libs3 itself when installed.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from 'node:tls'
import { promisify } from 'node:util'
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createS3Server, type S3Server } from '../../src/s3/server.js'
import { silentMessageLog } from '../../src/lib/logger.js'
import { ROOT_PASSWORD, ROOT_USER, useS3 } from '../helpers/s3.js'

const run = promisify(execFile)
const fx = useS3({ buckets: ['case'] })

beforeAll(async () => {
  await fx.client().send(new PutObjectCommand({ Bucket: 'case', Key: 'hello.txt', Body: 'hello, world\n', ContentType: 'text/plain', Metadata: { colour: 'blue' } }))
})

/** rawHeaderNames sends `request` on a fresh TLS connection and returns the answer's status line and header names as sent. */
async function rawHeaderNames(request: string): Promise<{ status: string; names: string[] }> {
  const url = new URL(fx.server.url)
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port), ca: fx.pki.ca.certPem, servername: 'localhost' }, () => socket.write(request))
    let text = ''
    socket.on('data', (c: Buffer) => {
      text += c.toString('latin1')
      // The header section is all we read: stop once it is whole.
      if (text.includes('\r\n\r\n')) {
        socket.destroy()
        resolve(text)
      }
    })
    socket.on('error', reject)
    socket.on('close', () => resolve(text))
  })
  const [statusLine, ...lines] = answer.slice(0, answer.indexOf('\r\n\r\n')).split('\r\n')
  return { status: statusLine!, names: lines.map((l) => l.slice(0, l.indexOf(':'))) }
}

/** A request line and headers for a presigned URL of `command`. */
async function presigned(method: string, command: GetObjectCommand | HeadObjectCommand | PutObjectCommand, extra = ''): Promise<string> {
  const url = new URL(await getSignedUrl(fx.client(), command, { expiresIn: 300 }))
  return `${method} ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n${extra}\r\n`
}

describe('response header names on the wire', () => {
  it('HEAD spells ETag, Content-Type, Content-Length, Last-Modified, Accept-Ranges canonically and x-amz-* in lower case', async () => {
    const { status, names } = await rawHeaderNames(await presigned('HEAD', new HeadObjectCommand({ Bucket: 'case', Key: 'hello.txt' })))
    expect(status).toMatch(/^HTTP\/1\.1 200 /)
    expect(names).toEqual(expect.arrayContaining(['ETag', 'Content-Type', 'Content-Length', 'Last-Modified', 'Accept-Ranges', 'x-amz-request-id', 'x-amz-meta-colour', 'Server']))
    expect(names).not.toContain('etag')
    for (const name of names) {
      if (/^x-(amz|minio)-/i.test(name)) expect(name).toBe(name.toLowerCase())
      else expect(name).toMatch(/^([A-Z][a-z0-9]*)(-[A-Z][a-z0-9]*|-MD5)*$|^ETag$/)
    }
  })

  it('GET of a range spells Content-Range and ETag; PUT spells ETag', async () => {
    const get = await rawHeaderNames(await presigned('GET', new GetObjectCommand({ Bucket: 'case', Key: 'hello.txt', Range: 'bytes=0-4' }), 'Range: bytes=0-4\r\n'))
    expect(get.status).toMatch(/^HTTP\/1\.1 206 /)
    expect(get.names).toEqual(expect.arrayContaining(['ETag', 'Content-Type', 'Content-Length', 'Content-Range', 'Last-Modified', 'x-amz-request-id']))
    const put = await rawHeaderNames(await presigned('PUT', new PutObjectCommand({ Bucket: 'case', Key: 'put.txt' }), 'Content-Length: 3\r\n') + 'abc')
    expect(put.status).toMatch(/^HTTP\/1\.1 200 /)
    expect(put.names).toEqual(expect.arrayContaining(['ETag', 'x-amz-request-id', 'Content-Length']))
  })

  it('an error answer and an admin (Express) route spell their names the same way', async () => {
    const denied = await rawHeaderNames(`GET /case/hello.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`)
    expect(denied.status).toMatch(/^HTTP\/1\.1 403 /)
    expect(denied.names).toEqual(expect.arrayContaining(['Content-Type', 'Content-Length', 'x-amz-request-id']))
    const admin = await rawHeaderNames(`GET /minio/admin/v3/info HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`)
    expect(admin.names.filter((n) => /^content-/i.test(n))).not.toHaveLength(0)
    for (const name of admin.names.filter((n) => /^content-/i.test(n))) expect(name).toMatch(/^Content-[A-Z]/)
  })
})

// libs3 itself, over plain HTTP (`s3 -u`) so that it needs no CA: skipped where Debian's libs3 tool is not installed.
describe.skipIf(!existsSync('/usr/bin/s3'))('libs3 (s3 head)', () => {
  let plain: S3Server
  let dataDir: string
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'keyhold-s3-libs3-'))
    plain = await createS3Server({ rootUser: ROOT_USER, rootPassword: ROOT_PASSWORD, dataDir, log: silentMessageLog })
  })
  afterAll(async () => {
    await plain?.close()
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true })
  })

  it('prints the ETag, Content-Type and Content-Length of an object', async () => {
    const env = { ...process.env, S3_ACCESS_KEY_ID: ROOT_USER, S3_SECRET_ACCESS_KEY: ROOT_PASSWORD, S3_HOSTNAME: new URL(plain.url).host }
    await run('s3', ['-u', 'create', 'libs3'], { env, timeout: 20_000 })
    await run('sh', ['-c', 'printf "hello, libs3\\n" | s3 -u put libs3/k.txt contentType=text/plain contentLength=13'], { env, timeout: 20_000 })
    const head = await run('s3', ['-u', 'head', 'libs3/k.txt'], { env, timeout: 20_000 })
    expect(head.stdout).toMatch(/Content-Type: text\/plain/)
    expect(head.stdout).toMatch(/Content-Length: 13/)
    expect(head.stdout).toMatch(/ETag: "[0-9a-f]{32}"/)
  })
})
