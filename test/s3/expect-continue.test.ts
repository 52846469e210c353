/**
 * `Expect: 100-continue` is answered only once a handler wants the body: a request refused on its headers (a
 * wrong key, no credentials, a missing bucket) gets its final answer and the client sends none of its body.
 * Real clients: curl, which holds a body back for up to a second, and boto3, which sends the header on uploads.
 */
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from 'node:tls'
import { promisify } from 'node:util'
import { CreateBucketCommand, HeadObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT_PASSWORD, ROOT_USER, startS3, type S3Fixture } from '../helpers/s3.js'

const run = promisify(execFile)
const SIZE = 4 * 1024 * 1024
let fx: S3Fixture
let work: string
let file: string
let md5: string

beforeAll(async () => {
  fx = await startS3()
  await fx.client().send(new CreateBucketCommand({ Bucket: 'expect' }))
  work = mkdtempSync(join(tmpdir(), 'keyhold-s3-expect-'))
  file = join(work, 'body.bin')
  const body = randomBytes(SIZE)
  writeFileSync(file, body)
  md5 = createHash('md5').update(body).digest('hex')
})
afterAll(async () => {
  await fx?.close()
  if (work !== undefined) rmSync(work, { recursive: true, force: true })
})

interface Upload { status: number; uploaded: number; body: string; seconds: number }

/** curlPut uploads the test file with `Expect: 100-continue`, signed with `secret` (none: anonymous). */
async function curlPut(path: string, secret?: string): Promise<Upload> {
  const auth = secret === undefined ? [] : ['--user', `${ROOT_USER}:${secret}`, '--aws-sigv4', 'aws:amz:us-east-1:s3', '-H', 'x-amz-content-sha256: UNSIGNED-PAYLOAD']
  // --expect100-timeout: curl would send the body anyway after waiting this long; 20 s means it waited for us.
  const out = await run('curl', [
    '-sS', '--cacert', fx.pki.ca.certFile, '-H', 'Expect: 100-continue', '--expect100-timeout', '20', ...auth,
    '-T', file, '-w', '\n%{http_code} %{size_upload} %{time_total}', `${fx.server.url}${path}`,
  ], { timeout: 60_000 })
  const lines = out.stdout.trimEnd().split('\n')
  const [status, uploaded, seconds] = lines.pop()!.split(' ').map(Number) as [number, number, number]
  return { status, uploaded, seconds, body: lines.join('\n') }
}

describe('Expect: 100-continue', () => {
  it('a wrong secret is answered 403 SignatureDoesNotMatch before any of the body is sent', async () => {
    const got = await curlPut('/expect/wrong.bin', 'not-the-secret-at-all')
    expect(got).toMatchObject({ status: 403, uploaded: 0 })
    expect(got.body).toContain('<Code>SignatureDoesNotMatch</Code>')
    expect(got.seconds).toBeLessThan(15)
  })

  it('an anonymous upload to a private bucket, or one to a missing bucket, sends no body either', async () => {
    const anonymous = await curlPut('/expect/anon.bin')
    expect(anonymous).toMatchObject({ status: 403, uploaded: 0 })
    expect(anonymous.body).toContain('<Code>AccessDenied</Code>')
    const missing = await curlPut('/no-such-bucket/x.bin', ROOT_PASSWORD)
    expect(missing).toMatchObject({ status: 404, uploaded: 0 })
    expect(missing.body).toContain('<Code>NoSuchBucket</Code>')
  })

  it('a permitted upload is invited at once and stored whole', async () => {
    const got = await curlPut('/expect/good.bin', ROOT_PASSWORD)
    expect(got).toMatchObject({ status: 200, uploaded: SIZE })
    expect(got.seconds).toBeLessThan(15)
    const head = await fx.client().send(new HeadObjectCommand({ Bucket: 'expect', Key: 'good.bin' }))
    expect(head.ETag).toBe(`"${md5}"`)
  })

  it('on the wire: the refusal comes without an interim 100, and the connection is closed (its next bytes could be the body)', async () => {
    const url = new URL(fx.server.url)
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: url.hostname, port: Number(url.port), ca: fx.pki.ca.certPem, servername: 'localhost' }, () => {
        socket.write(`PUT /expect/raw.bin HTTP/1.1\r\nHost: ${url.host}\r\nContent-Length: ${SIZE}\r\nExpect: 100-continue\r\n\r\n`)
      })
      let text = ''
      socket.on('data', (c: Buffer) => (text += c.toString('latin1')))
      socket.on('end', () => resolve(text))
      socket.on('error', reject)
      setTimeout(() => reject(new Error(`no close within 10 s; got ${JSON.stringify(text)}`)), 10_000).unref()
    })
    expect(answer).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/)
    expect(answer).not.toContain('100 Continue')
    expect(answer.toLowerCase()).toContain('connection: close')
  })

  it('boto3 (which sends the header on uploads of 1 MiB and more) gets its error code, not a broken pipe', async () => {
    const script = `
import sys, boto3
from botocore.config import Config
from botocore.exceptions import ClientError
s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id=sys.argv[2],
    aws_secret_access_key='not-the-secret-at-all', config=Config(retries={'max_attempts': 1}))
try:
    s3.put_object(Bucket='expect', Key='boto.bin', Body=b'x' * (2 * 1024 * 1024))
    print('stored')
except ClientError as e:
    print(e.response['Error']['Code'])
`
    const out = await run('python3', ['-c', script, fx.server.url, ROOT_USER], { env: fx.env(), timeout: 60_000 })
    expect(out.stdout.trim()).toBe('SignatureDoesNotMatch')
  }, 60_000)
})
