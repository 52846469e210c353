/**
 * A browser form upload (presigned POST) is described by its form alone, as AWS and MinIO describe it: the
 * attacks of the security review, each tried the way an attacker would first.
 *   - IAM conditions (a KMS key id, a storage class) are decided on the form's fields, the values the write
 *     uses, never on the POST's HTTP headers (a user limited to one KMS key named it in a header and wrote
 *     under another key named in a field);
 *   - the POST's own `x-amz-meta-*`, `x-amz-tagging`, storage class, content and SSE headers are ignored;
 *   - every field the form sends must be named by a condition of the signed policy (AWS's rule), else 403
 *     AccessDenied "Invalid according to Policy: Extra input fields: <name>"; only the signature's own fields,
 *     `x-ignore-*` and file checksums may ride along unnamed. An anonymous form to a public-write bucket has
 *     no policy and keeps working.
 */
import { randomUUID } from 'node:crypto'
import { request } from 'node:https'
import { CreateBucketCommand, GetObjectTaggingCommand, HeadObjectCommand, PutBucketPolicyCommand, type S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import { hmac, signingKey } from '../../src/s3/auth/sigv4/canonical.js'
import { adminCall, ROOT, s3Client, startIamServer, type IamServer } from './iam/helpers.js'

const BUCKET = 'forms'
const PUBLIC = 'public-drop'
// alice may write only under her KMS key (as the review's policy-alice.json); she may read everything.
const ALICE = { accessKey: 'alice', secretKey: 'alice-secret-123' }
const ALICE_POLICY = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: ['s3:GetObject', 's3:GetObjectTagging', 's3:ListBucket'], Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`] },
    {
      Effect: 'Allow', Action: ['s3:PutObject'], Resource: [`arn:aws:s3:::${BUCKET}/*`],
      Condition: { StringEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'alice-key' } },
    },
    {
      Effect: 'Deny', Action: ['s3:PutObject'], Resource: [`arn:aws:s3:::${BUCKET}/*`],
      Condition: { StringEquals: { 's3:x-amz-storage-class': 'REDUCED_REDUNDANCY' } },
    },
  ],
}

let srv: IamServer
let root: S3Client

beforeAll(async () => {
  srv = await startIamServer({ responseAlgorithm: 2 })
  root = s3Client(srv, ROOT.accessKey, ROOT.secretKey)
  await root.send(new CreateBucketCommand({ Bucket: BUCKET }))
  await root.send(new CreateBucketCommand({ Bucket: PUBLIC }))
  await root.send(new PutBucketPolicyCommand({
    Bucket: PUBLIC,
    Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: ['*'] }, Action: ['s3:PutObject'], Resource: [`arn:aws:s3:::${PUBLIC}/*`] }] }),
  }))
  expect((await adminCall(srv, ROOT, { method: 'PUT', path: '/add-canned-policy', query: [['name', 'alice-kms']], plain: JSON.stringify(ALICE_POLICY) })).status).toBe(200)
  expect((await adminCall(srv, ROOT, { method: 'PUT', path: '/add-user', query: [['accessKey', ALICE.accessKey]], enc: { secretKey: ALICE.secretKey, status: 'enabled', policy: 'alice-kms' } })).status).toBe(200)
})
afterAll(async () => {
  root?.destroy()
  await srv?.close()
})

type Condition = Record<string, string> | [string, string, string | number, (string | number)?]

/**
 * signedFields signs a SigV4 POST policy as boto3's generate_presigned_post does: the conditions given, then
 * x-amz-algorithm, x-amz-credential and x-amz-date, each named by a condition (but those in `unnamed`).
 */
function signedFields(creds: { accessKey: string; secretKey: string }, conditions: Condition[], unnamed: string[] = []): Array<[string, string]> {
  const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')
  const date = amzDate.slice(0, 8)
  const credential = `${creds.accessKey}/${date}/us-east-1/s3/aws4_request`
  const expiration = new Date(Date.now() + 300_000).toISOString()
  const own = [{ 'x-amz-algorithm': 'AWS4-HMAC-SHA256' }, { 'x-amz-credential': credential }, { 'x-amz-date': amzDate }]
  const signed = [...conditions, ...own.filter((c) => !unnamed.includes(Object.keys(c)[0]!))]
  const policy = Buffer.from(JSON.stringify({ expiration, conditions: signed })).toString('base64')
  const signature = hmac(signingKey(creds.secretKey, date, 'us-east-1', 's3'), policy).toString('hex')
  return [['policy', policy], ['x-amz-algorithm', 'AWS4-HMAC-SHA256'], ['x-amz-credential', credential], ['x-amz-date', amzDate], ['x-amz-signature', signature]]
}

interface Answer { status: number; code: string; message: string; location: string | undefined }

/** postForm sends a multipart/form-data POST to `bucket` with `fields` then the file, and extra HTTP headers. */
function postForm(bucket: string, fields: Array<[string, string]>, file = 'form bytes', headers: Record<string, string> = {}, fileType?: string): Promise<Answer> {
  const boundary = `----form${randomUUID()}`
  const parts = fields.map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
  const fileHead = `Content-Disposition: form-data; name="file"; filename="f.bin"\r\n${fileType !== undefined ? `Content-Type: ${fileType}\r\n` : ''}`
  const body = Buffer.from(`${parts.join('')}--${boundary}\r\n${fileHead}\r\n${file}\r\n--${boundary}--\r\n`)
  const url = new URL(`${srv.url}/${bucket}`)
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST', ca: srv.ca,
      headers: { ...headers, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(body.length) },
    }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString()
        resolve({
          status: res.statusCode ?? 0,
          code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? '',
          message: /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? '',
          location: res.headers.location,
        })
      })
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** stored tells whether `key` exists in `bucket` (404 when it does not). */
async function stored(bucket: string, key: string): Promise<boolean> {
  try {
    await root.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))
    return true
  } catch (err) {
    if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false
    throw err
  }
}

const KMS_HEADERS = (keyId: string): Record<string, string> => ({ 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': keyId })
const kmsFields = (keyId: string): Array<[string, string]> => Object.entries(KMS_HEADERS(keyId))
// alice signs her own policy and lets any SSE fields through: only IAM stands between her and bob's key.
const ANY_SSE: Condition[] = [{ bucket: BUCKET }, ['starts-with', '$key', 'kms/'], ['starts-with', '$x-amz-server-side-encryption', ''],
  ['starts-with', '$x-amz-server-side-encryption-aws-kms-key-id', '']]

describe('POST object: IAM decides on the form fields the write uses', () => {
  it('refuses a KMS key named in the form when HTTP headers name the allowed one (403 AccessDenied)', async () => {
    const fields: Array<[string, string]> = [['key', 'kms/via-post'], ...signedFields(ALICE, ANY_SSE), ...kmsFields('bob-key')]
    const got = await postForm(BUCKET, fields, 'form upload', KMS_HEADERS('alice-key'))
    expect(got).toMatchObject({ status: 403, code: 'AccessDenied', message: 'Access Denied.' })
    expect(await stored(BUCKET, 'kms/via-post')).toBe(false)
  })

  it('decides on the form fields and not on headers naming a denied key: the allowed key in the form passes IAM', async () => {
    const fields: Array<[string, string]> = [['key', 'kms/allowed'], ...signedFields(ALICE, ANY_SSE), ...kmsFields('alice-key')]
    const got = await postForm(BUCKET, fields, 'form upload', KMS_HEADERS('bob-key'))
    // (This server has no KMS hook: past the access check the bytes are stored as they are.)
    expect(got.status).toBe(204)
    expect(await stored(BUCKET, 'kms/allowed')).toBe(true)
  })

  it('refuses a denied storage class named in the form when the HTTP header names an allowed one', async () => {
    const conditions: Condition[] = [...ANY_SSE, ['starts-with', '$x-amz-storage-class', '']]
    const fields: Array<[string, string]> = [['key', 'kms/rrs'], ...signedFields(ALICE, conditions), ...kmsFields('alice-key'), ['x-amz-storage-class', 'REDUCED_REDUNDANCY']]
    const got = await postForm(BUCKET, fields, 'x', { ...KMS_HEADERS('alice-key'), 'x-amz-storage-class': 'STANDARD' })
    expect(got).toMatchObject({ status: 403, code: 'AccessDenied', message: 'Access Denied.' })
  })
})

describe('POST object: the POST\'s own HTTP headers never describe the object', () => {
  it('ignores x-amz-meta-*, x-amz-tagging, storage class, content headers and SSE-C headers sent as HTTP headers', async () => {
    const fields: Array<[string, string]> = [['key', 'hdr/plain.txt'], ...signedFields(ROOT, [{ bucket: BUCKET }, { key: 'hdr/plain.txt' }])]
    const got = await postForm(BUCKET, fields, 'plain bytes', {
      'x-amz-meta-owner': 'mallory', 'x-amz-tagging': 'team=finance', 'x-amz-storage-class': 'REDUCED_REDUNDANCY',
      'cache-control': 'public, max-age=31536000', 'content-disposition': 'inline', 'content-language': 'xx', expires: 'Thu, 01 Jan 2099 00:00:00 GMT',
      'x-amz-server-side-encryption-customer-algorithm': 'AES256',
      'x-amz-server-side-encryption-customer-key': Buffer.alloc(32, 7).toString('base64'),
      'x-amz-server-side-encryption-customer-key-md5': 'dGhpcyBpcyBub3QgdGhlIG1kNQ==',
    })
    expect(got.status).toBe(204)
    const head = await root.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'hdr/plain.txt' }))
    expect(head.Metadata).toEqual({})
    expect(head.StorageClass).toBeUndefined()
    expect(head.CacheControl).toBeUndefined()
    expect(head.ContentDisposition).toBeUndefined()
    expect(head.ContentLanguage).toBeUndefined()
    expect(head.SSECustomerAlgorithm).toBeUndefined()
    // Not the multipart body's own type either: the file part carried none, so the default answers.
    expect(head.ContentType).toBe('binary/octet-stream')
    expect((await root.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: 'hdr/plain.txt' }))).TagSet).toEqual([])
  })
})

describe('POST object: every form field must be named by the signed policy', () => {
  const base: Condition[] = [{ bucket: BUCKET }, ['starts-with', '$key', 'extra/']]
  const unnamed: Array<[string, string]> = [
    ['content-type', 'text/html'],
    ['content-disposition', 'inline'],
    ['cache-control', 'public, max-age=31536000'],
    ['tagging', '<Tagging><TagSet><Tag><Key>team</Key><Value>finance</Value></Tag></TagSet></Tagging>'],
    ['x-amz-tagging', 'team=finance'],
    ['x-amz-storage-class', 'REDUCED_REDUNDANCY'],
    ['x-amz-server-side-encryption', 'AES256'],
    ['x-amz-server-side-encryption-customer-algorithm', 'AES256'],
    ['success_action_redirect', 'https://evil.example/phish'],
    ['redirect', 'https://evil.example/phish'],
    ['success_action_status', '201'],
    ['x-amz-meta-owner', 'mallory'],
    ['acl', 'public-read'],
  ]
  for (const [name, value] of unnamed) {
    it(`refuses an unnamed ${name} field: 403 "Extra input fields: ${name}", nothing stored`, async () => {
      const key = `extra/${name}`
      const got = await postForm(BUCKET, [['key', key], ...signedFields(ROOT, base), [name, value]])
      expect(got).toMatchObject({ status: 403, code: 'AccessDenied', message: `Invalid according to Policy: Extra input fields: ${name}` })
      expect(got.location).toBeUndefined()
      expect(await stored(BUCKET, key)).toBe(false)
    })
  }

  it('the file part\'s own Content-Type, which no policy names, does not become the object\'s type', async () => {
    const got = await postForm(BUCKET, [['key', 'extra/avatar.png'], ...signedFields(ROOT, base)], '<script>alert(1)</script>', {}, 'text/html')
    expect(got.status).toBe(204)
    expect((await root.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'extra/avatar.png' }))).ContentType).toBe('binary/octet-stream')
    // A type the signer named as a field is kept.
    const typed = await postForm(BUCKET, [['key', 'extra/typed.png'], ...signedFields(ROOT, [...base, { 'content-type': 'image/png' }]), ['content-type', 'image/png']], 'png', {}, 'text/html')
    expect(typed.status).toBe(204)
    expect((await root.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'extra/typed.png' }))).ContentType).toBe('image/png')
  })

  it('names fields case-insensitively, and takes the signed ones', async () => {
    const conditions: Condition[] = [...base, ['starts-with', '$Content-Type', 'image/'], { 'Success_Action_Redirect': 'https://app.example/done' }]
    const got = await postForm(BUCKET, [['Key', 'extra/ok.png'], ...signedFields(ROOT, conditions), ['CONTENT-TYPE', 'image/png'], ['success_action_redirect', 'https://app.example/done']])
    expect(got.status).toBe(303)
    expect(got.location).toMatch(/^https:\/\/app\.example\/done\?bucket=forms&key=extra%2Fok\.png&etag=/)
    expect((await root.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'extra/ok.png' }))).ContentType).toBe('image/png')
  })

  it('lets x-ignore-* and a checksum of the file ride along unnamed', async () => {
    const sha256 = 'cNNPiFeu644xLgAT//eMzkZ7i04wQGmo6jF+3VnNGY0=' // of 'form bytes'
    const got = await postForm(BUCKET, [['key', 'extra/ignored'], ...signedFields(ROOT, base), ['x-ignore-note', 'anything'], ['x-amz-checksum-sha256', sha256]])
    expect(got.status).toBe(204)
  })

  it('refuses a bucket field the policy does not name, and signature fields a hand-made policy left out', async () => {
    const noBucket: Condition[] = [['starts-with', '$key', 'extra/']]
    const withBucket = await postForm(BUCKET, [['key', 'extra/b'], ['bucket', BUCKET], ...signedFields(ROOT, noBucket)])
    expect(withBucket).toMatchObject({ status: 403, message: 'Invalid according to Policy: Extra input fields: bucket' })
    // Without the field, a policy need not name the bucket.
    expect((await postForm(BUCKET, [['key', 'extra/b'], ...signedFields(ROOT, noBucket)])).status).toBe(204)
    // AWS asks the policy to name x-amz-date too (boto3, minio-go and the MinIO JS client all do).
    const noDate = await postForm(BUCKET, [['key', 'extra/d'], ...signedFields(ROOT, base, ['x-amz-date'])])
    expect(noDate).toMatchObject({ status: 403, message: 'Invalid according to Policy: Extra input fields: x-amz-date' })
  })

  it('keeps an anonymous form to a public-write bucket working, its fields applied (there is no policy to name them)', async () => {
    const got = await postForm(PUBLIC, [['key', 'anon.txt'], ['content-type', 'text/plain'], ['x-amz-meta-from', 'form'], ['success_action_status', '201']], 'anon', { 'x-amz-meta-owner': 'mallory' })
    expect(got.status).toBe(201)
    const head = await root.send(new HeadObjectCommand({ Bucket: PUBLIC, Key: 'anon.txt' }))
    expect(head.ContentType).toBe('text/plain')
    expect(head.Metadata).toEqual({ from: 'form' })
    // A form to a bucket that is not public stays refused.
    expect(await postForm(BUCKET, [['key', 'anon.txt']])).toMatchObject({ status: 403, code: 'AccessDenied' })
  })

  it('answers non-ASCII field values as their UTF-8 bytes, and a line break in a field injects no header', async () => {
    const fields: Array<[string, string]> = [
      ['key', 'unicode.txt'], ['content-disposition', 'attachment; filename="r\u00e9sum\u00e9.pdf"'],
      ['x-amz-meta-city', 'Z\u00fcrich \u20ac'], ['x-amz-meta-note', 'hi\r\nSet-Cookie: session=stolen'],
    ]
    expect((await postForm(PUBLIC, fields)).status).toBe(204)
    const url = await getSignedUrl(root, new HeadObjectCommand({ Bucket: PUBLIC, Key: 'unicode.txt' }), { expiresIn: 60 })
    const headers = await new Promise<Record<string, string | string[] | undefined>>((resolve, reject) => {
      const req = request(url, { method: 'HEAD', ca: srv.ca }, (res) => {
        res.resume()
        resolve(res.headers)
      })
      req.on('error', reject)
      req.end()
    })
    // Node reads answer headers as latin-1, so turning them back into latin-1 gives the bytes sent.
    const bytes = (name: string): string => Buffer.from(String(headers[name]), 'latin1').toString('utf8')
    expect(bytes('x-amz-meta-city')).toBe('Z\u00fcrich \u20ac')
    expect(bytes('content-disposition')).toBe('attachment; filename="r\u00e9sum\u00e9.pdf"')
    expect(headers['x-amz-meta-note']).toBe('hi  Set-Cookie: session=stolen')
    expect(headers['set-cookie']).toBeUndefined()
  })
})
