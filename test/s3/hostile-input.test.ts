/**
 * Hostile input against keyhold-s3: XML bombs and malformed or oversized bodies on every XML API, path
 * tricks, bad payload hashes, refused uploads that must still get their answer (boto3, aws CLI, curl), and
 * clients that stall. Every refusal has its exact status and S3 code; nothing answers 5xx or hangs.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect as netConnect } from 'node:net'
import { connect, type TLSSocket } from 'node:tls'
import { promisify } from 'node:util'
import { CreateBucketCommand, CreateMultipartUploadCommand, HeadBucketCommand, HeadObjectCommand, ListBucketsCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { canonicalRequest, hmac, signingKey, stringToSign } from '../../src/s3/auth/sigv4/canonical.js'
import { ROOT_PASSWORD, ROOT_USER, s3error, startS3, type S3Fixture } from '../helpers/s3.js'

const run = promisify(execFile)
let fx: S3Fixture
let dir: string
const IDLE_MS = 1_000

beforeAll(async () => {
  // Headers get half the idle time: a socket silent for idleMs before its headers are complete is simply cut.
  fx = await startS3({ timeouts: { handshakeMs: IDLE_MS, headersMs: IDLE_MS / 2, idleMs: IDLE_MS } })
  dir = mkdtempSync(join(tmpdir(), 'keyhold-hostile-'))
  await fx.client().send(new CreateBucketCommand({ Bucket: 'hostile' }))
  await fx.client().send(new PutObjectCommand({ Bucket: 'hostile', Key: 'x', Body: 'x' }))
})
afterAll(async () => {
  await fx.close()
  rmSync(dir, { recursive: true, force: true })
})

interface Answer { status: number; body: string }

/** curl signs with its own SigV4 (an independent client); `body` goes through a file, byte for byte. */
async function curl(method: string, path: string, opts: { body?: string | Buffer; headers?: string[]; user?: string } = {}): Promise<Answer> {
  const args = ['-s', '--path-as-is', '--cacert', fx.pki.ca.certFile, '--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', opts.user ?? `${ROOT_USER}:${ROOT_PASSWORD}`,
    ...(method === 'HEAD' ? ['-I'] : ['-X', method]), '-w', '\n%{http_code}']
  const headers = opts.headers ?? []
  if (!headers.some((h) => h.toLowerCase().startsWith('x-amz-content-sha256'))) args.push('-H', 'x-amz-content-sha256: UNSIGNED-PAYLOAD')
  for (const h of headers) args.push('-H', h)
  if (opts.body !== undefined) {
    const file = join(dir, `body-${Math.random().toString(36).slice(2)}`)
    writeFileSync(file, opts.body)
    args.push('--data-binary', `@${file}`)
  }
  const { stdout } = await run('curl', [...args, `${fx.server.url}${path}`], { maxBuffer: 1 << 24, timeout: 30_000 })
  const at = stdout.lastIndexOf('\n')
  return { status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) }
}

function expectError(a: Answer, status: number, code: string, message?: string): void {
  expect(a.status, a.body).toBe(status)
  expect(a.body).toContain(`<Code>${code}</Code>`)
  if (message !== undefined) expect(a.body).toContain(`<Message>${message}</Message>`)
}

const MALFORMED = 'The XML you provided was not well-formed or did not validate against our published schema.'
const laughs = (root: string, inner: string) => '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' +
  Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('') + `]><${root}>${inner}</${root}>`
const external = (root: string, inner: string) => `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><${root}>${inner}</${root}>`
const deep = (root: string) => `<${root}>${'<a>'.repeat(10_000)}${'</a>'.repeat(10_000)}</${root}>`

/** The hostile XML bodies every XML API gets, with the entity reference placed where text is read. */
function bombs(root: string, inner: (text: string) => string): Array<[string, string]> {
  return [
    ['billion laughs', laughs(root, inner('&lol9;'))],
    ['external entity', external(root, inner('&xxe;'))],
    ['10k-deep nesting', deep(root)],
    ['unclosed 10k-deep nesting', `<${root}>${'<a>'.repeat(10_000)}`],
    ['not XML', '\u0000\u0001garbage<<>>'],
    ['wrong root', `<Other>${inner('k')}</Other>`],
  ]
}

describe('XML bodies: every parser refusal is 400 MalformedXML', () => {
  it('DeleteObjects', async () => {
    for (const [name, body] of bombs('Delete', (t) => `<Object><Key>${t}</Key></Object>`)) {
      const md5 = createHash('md5').update(body).digest('base64')
      const a = await curl('POST', '/hostile?delete=', { body, headers: [`Content-MD5: ${md5}`] })
      expect(a.status, name).toBe(400)
      expectError(a, 400, 'MalformedXML', MALFORMED)
    }
    const head = await fx.client().send(new HeadBucketCommand({ Bucket: 'hostile' }))
    expect(head.$metadata.httpStatusCode).toBe(200)
  })

  it('CompleteMultipartUpload', async () => {
    const { UploadId } = await fx.client().send(new CreateMultipartUploadCommand({ Bucket: 'hostile', Key: 'mp' }))
    for (const [, body] of bombs('CompleteMultipartUpload', (t) => `<Part><PartNumber>1</PartNumber><ETag>${t}</ETag></Part>`)) {
      expectError(await curl('POST', `/hostile/mp?uploadId=${UploadId}`, { body }), 400, 'MalformedXML', MALFORMED)
    }
  })

  it('CreateBucket, and no bucket is created', async () => {
    for (const [, body] of bombs('CreateBucketConfiguration', (t) => `<LocationConstraint>${t}</LocationConstraint>`)) {
      expectError(await curl('PUT', '/bomb-bucket', { body }), 400, 'MalformedXML', MALFORMED)
    }
    expect((await curl('HEAD', '/bomb-bucket')).status).toBe(404)
  })

  it('oversized bodies are refused before they are parsed', async () => {
    const big = `<Delete>${'<Object><Key>k</Key></Object>'.repeat(40_000)}</Delete>`
    const md5 = createHash('md5').update(big).digest('base64')
    expectError(await curl('POST', '/hostile?delete=', { body: big, headers: [`Content-MD5: ${md5}`] }), 400, 'EntityTooLarge', 'Your request body is too large.')
    // Sent chunked, so the size is known only once the limit is crossed: the answer must still arrive.
    expectError(await curl('POST', '/hostile?delete=', { body: big, headers: [`Content-MD5: ${md5}`, 'Transfer-Encoding: chunked'] }), 400, 'EntityTooLarge', 'Your request body is too large.')
  })
})

describe('paths, names and payload hashes', () => {
  it('refuses dot segments and NULs, keeps encoded dots as plain key bytes; refuses overlong keys and invalid bucket names', async () => {
    // curl signs `%2e%2e` as sent, S3 (and keyhold-s3) sign the decoded `..`: a precise 403, never a path escape.
    expectError(await curl('PUT', '/hostile/%2e%2e', { body: 'x' }), 403, 'SignatureDoesNotMatch')
    // Dot segments are refused as MinIO refuses them (a policy reads them as a path: they would alias other keys).
    // And NUL, which no XML listing can carry (MinIO refuses it too).
    for (const key of ['..', '../../../etc/passwd', './x/../..', 'a%00b']) {
      expectError(await curl('PUT', `/hostile/${key}`, { body: key }), 400, 'InvalidObjectName', 'Object name contains unsupported characters.')
    }
    for (const key of ['a..b']) {
      const put = await curl('PUT', `/hostile/${key}`, { body: key })
      expect(put.status, `${key}: ${put.body}`).toBe(200)
      const got = await curl('GET', `/hostile/${key}`)
      expect([got.status, got.body], key).toEqual([200, key])
    }
    expectError(await curl('PUT', `/hostile/${'k'.repeat(1025)}`, { body: 'x' }), 400, 'KeyTooLongError', 'Your key is too long')
    for (const bucket of ['ab', 'UPPER', 'a..b', '-abc', 'abc-', '192.168.1.1', 'a'.repeat(64), 'a_b']) {
      expectError(await curl('PUT', `/${bucket}`), 400, 'InvalidBucketName', 'The specified bucket is not valid.')
    }
  })

  it('refuses a payload hash that is neither hex SHA-256 nor a documented value, on bodiless requests too', async () => {
    const message = 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, ' +
      'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.'
    for (const [method, value] of [['GET', 'garbage'], ['DELETE', 'GIBBERISH'], ['GET', 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855'], ['GET', 'unsigned-payload']]) {
      const a = await curl(method!, '/hostile/x', { headers: [`x-amz-content-sha256: ${value}`] })
      expectError(a, 400, 'InvalidArgument', message)
      expect(a.body).toContain(`<ArgumentName>x-amz-content-sha256</ArgumentName><ArgumentValue>${value}</ArgumentValue>`)
    }
    const empty = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
    expect((await curl('GET', '/hostile/x', { headers: [`x-amz-content-sha256: ${empty}`] })).status).toBe(200)
  })
})

describe('a refused upload still gets its answer', () => {
  const sizes = [4, 300_000, 20 << 20]

  it('boto3, small and large bodies, wrong key and wrong secret', async () => {
    const script = `
import boto3, sys
from botocore.config import Config
for key, secret in [('nobody', 'x'), (sys.argv[3], 'wrong-secret')]:
    s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id=key, aws_secret_access_key=secret,
                      verify=sys.argv[2], config=Config(retries={'max_attempts': 1}, s3={'addressing_style': 'path'}))
    for n in [${sizes.join(', ')}]:
        try:
            s3.put_object(Bucket='hostile', Key='refused', Body=b'x' * n)
            print(n, 'stored')
        except Exception as e:
            print(n, getattr(e, 'response', {}).get('Error', {}).get('Code') or type(e).__name__ + ': ' + str(e)[:120])
`
    const { stdout } = await run('python3', ['-c', script, fx.server.url, fx.pki.ca.certFile, ROOT_USER], { env: fx.env(), timeout: 120_000 })
    expect(stdout.trim().split('\n')).toEqual([...sizes.map((n) => `${n} InvalidAccessKeyId`), ...sizes.map((n) => `${n} SignatureDoesNotMatch`)])
  }, 130_000)

  it('the aws CLI and curl, small and large bodies', async () => {
    for (const n of [4, 20 << 20]) {
      const file = join(dir, `upload-${n}`)
      writeFileSync(file, Buffer.alloc(n, 'y'))
      const env = { ...fx.env(), AWS_ACCESS_KEY_ID: 'nobody', AWS_SECRET_ACCESS_KEY: 'x', AWS_MAX_ATTEMPTS: '1' }
      const cli = await run('aws', ['--endpoint-url', fx.server.url, 's3api', 'put-object', '--bucket', 'hostile', '--key', 'refused', '--body', file], { env, timeout: 60_000 })
        .then(() => 'stored', (err: { stderr?: string }) => err.stderr ?? '')
      expect(cli, `aws CLI ${n}`).toContain('(InvalidAccessKeyId)')
      const { stdout } = await run('curl', ['-s', '--cacert', fx.pki.ca.certFile, '--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', 'nobody:x',
        '-H', 'x-amz-content-sha256: UNSIGNED-PAYLOAD', '-T', file, '-w', '\n%{http_code}', `${fx.server.url}/hostile/refused`], { timeout: 60_000 })
      expect(stdout, `curl ${n}`).toMatch(/<Code>InvalidAccessKeyId<\/Code>[\s\S]*\n403$/)
    }
    const missing = await s3error(fx.client().send(new HeadObjectCommand({ Bucket: 'hostile', Key: 'refused' })))
    expect(missing.$metadata.httpStatusCode).toBe(404)
  }, 130_000)
})

/** tlsSocket opens a raw TLS connection to the server and collects what it answers until it closes. */
function tlsSocket(): { sock: TLSSocket; closed: Promise<{ text: string; ms: number }> } {
  const url = new URL(fx.server.url)
  const started = Date.now()
  const sock = connect({ host: url.hostname, port: Number(url.port), ca: fx.pki.ca.certPem })
  const chunks: Buffer[] = []
  sock.on('data', (c: Buffer) => chunks.push(c))
  const closed = new Promise<{ text: string; ms: number }>((resolve) => {
    sock.on('close', () => resolve({ text: Buffer.concat(chunks).toString('latin1'), ms: Date.now() - started }))
    sock.on('error', () => undefined)
  })
  return { sock, closed }
}

/** signedPutHead renders the headers of a SigV4-signed PUT with an unsigned payload of `length` bytes. */
function signedPutHead(path: string, length: number): string {
  const host = new URL(fx.server.url).host
  const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')
  const date = amzDate.slice(0, 8)
  const headers: Record<string, string> = { host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'x-amz-date': amzDate }
  const signed = Object.keys(headers).sort()
  const scope = `${date}/us-east-1/s3/aws4_request`
  const canonical = canonicalRequest('PUT', path, '', signed.map((h) => `${h}:${headers[h]}\n`).join(''), signed, 'UNSIGNED-PAYLOAD')
  const sig = hmac(signingKey(ROOT_PASSWORD, date, 'us-east-1', 's3'), stringToSign(amzDate, scope, canonical)).toString('hex')
  return `PUT ${path} HTTP/1.1\r\n${signed.map((h) => `${h}: ${headers[h]}\r\n`).join('')}` +
    `authorization: AWS4-HMAC-SHA256 Credential=${ROOT_USER}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${sig}\r\n` +
    `content-length: ${length}\r\n\r\n`
}

describe('slow and abandoned connections are cut by a timeout', () => {
  const timeout = 'Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.'

  it('headers that stop halfway', async () => {
    const { sock, closed } = tlsSocket()
    sock.write('GET /hostile HTTP/1.1\r\nHost: x\r\nX-Slow: ')
    const { text, ms } = await closed
    expect(text).toMatch(/^HTTP\/1\.1 400 /)
    expect(text).toContain(`<Code>RequestTimeout</Code><Message>${timeout}</Message>`)
    expect(ms).toBeLessThan(IDLE_MS * 5)
  })

  it('a signed upload whose body stops, and one that never starts', async () => {
    for (const sent of ['0123456789', '']) {
      const { sock, closed } = tlsSocket()
      sock.write(signedPutHead('/hostile/stalled', 100) + sent)
      const { text, ms } = await closed
      expect(text).toMatch(/^HTTP\/1\.1 400 /)
      expect(text).toContain(`<Code>RequestTimeout</Code><Message>${timeout}</Message>`)
      expect(ms).toBeLessThan(IDLE_MS * 5)
    }
    const missing = await s3error(fx.client().send(new HeadObjectCommand({ Bucket: 'hostile', Key: 'stalled' })))
    expect(missing.$metadata.httpStatusCode).toBe(404)
  })

  it('a refused upload whose client stalls mid-body is drained, then cut', async () => {
    const { sock, closed } = tlsSocket()
    sock.write('PUT /hostile/anon HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789')
    const { text, ms } = await closed
    expect(text).toMatch(/^HTTP\/1\.1 403 /)
    expect(text).toContain('<Code>AccessDenied</Code>')
    expect(ms).toBeLessThan(15_000)
  }, 20_000)

  it('a connection that never starts its TLS handshake is closed at the handshake deadline, not after two minutes', async () => {
    const started = Date.now()
    const closedAfter = await new Promise<number>((resolve, reject) => {
      const sock = netConnect(fx.server.port, '127.0.0.1')
      sock.on('error', () => undefined)
      sock.on('close', () => resolve(Date.now() - started))
      setTimeout(() => reject(new Error('still open after 10 s')), 10_000).unref()
    })
    expect(closedAfter).toBeGreaterThanOrEqual(IDLE_MS - 100)
    expect(closedAfter).toBeLessThan(IDLE_MS + 5_000)
  })

  it('the server still serves after all of it', async () => {
    const out = await fx.client().send(new ListBucketsCommand({}))
    expect(out.Buckets?.map((b) => b.Name)).toEqual(['hostile'])
  })
})
