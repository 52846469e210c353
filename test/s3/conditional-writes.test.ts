/**
 * Conditional writes: `If-None-Match: *` and `If-Match` on PutObject, CopyObject and CompleteMultipartUpload, as AWS and
 * MinIO answer them. Clients take locks with put-if-absent (Terraform's S3 backend), so what an attacker (or
 * an unlucky second writer) tries first is to win a lock someone else holds: overwrite an existing key, or race
 * another writer for an absent one.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import {
  CompleteMultipartUploadCommand, CopyObjectCommand, CreateBucketCommand, CreateMultipartUploadCommand, DeleteObjectCommand, GetObjectCommand,
  PutBucketVersioningCommand, PutObjectCommand, UploadPartCommand, type S3ServiceException,
} from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bodyBytes, ROOT_PASSWORD, ROOT_USER, startS3, type S3Fixture } from '../helpers/s3.js'

const run = promisify(execFile)
let fx: S3Fixture
let work: string

beforeAll(async () => {
  fx = await startS3()
  await fx.client().send(new CreateBucketCommand({ Bucket: 'locks' }))
  work = mkdtempSync(join(tmpdir(), 'keyhold-s3-conditional-'))
})
afterAll(async () => {
  await fx?.close()
  if (work !== undefined) rmSync(work, { recursive: true, force: true })
})

/** put answers the status of a PutObject with the given conditions (200, or the error's status and code). */
async function put(key: string, body: string, cond: { IfNoneMatch?: string; IfMatch?: string } = {}, bucket = 'locks'): Promise<string> {
  try {
    const r = await fx.client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...cond }))
    return `200 ${r.ETag ?? ''}`
  } catch (err) {
    const e = err as S3ServiceException
    return `${e.$metadata.httpStatusCode} ${e.name}`
  }
}

const content = async (key: string, bucket = 'locks'): Promise<string> =>
  (await bodyBytes(fx.client().send(new GetObjectCommand({ Bucket: bucket, Key: key })))).toString()

describe('conditional PutObject', () => {
  it('If-None-Match: * stores an absent key and refuses an existing one with 412, leaving it as it was', async () => {
    expect(await put('lock', 'holder-1', { IfNoneMatch: '*' })).toMatch(/^200 /)
    expect(await put('lock', 'holder-2', { IfNoneMatch: '*' })).toBe('412 PreconditionFailed')
    expect(await content('lock')).toBe('holder-1')
  })

  it('If-Match stores only over the named ETag: 412 for another, 404 NoSuchKey for an absent key', async () => {
    const first = (await put('state', 'v1')).slice(4)
    expect(await put('state', 'v2', { IfMatch: '"00000000000000000000000000000000"' })).toBe('412 PreconditionFailed')
    expect(await content('state')).toBe('v1')
    expect(await put('state', 'v2', { IfMatch: first })).toMatch(/^200 /)
    expect(await content('state')).toBe('v2')
    // The ETag it matched is gone: a second writer holding it loses.
    expect(await put('state', 'v3', { IfMatch: first })).toBe('412 PreconditionFailed')
    expect(await put('never-written', 'x', { IfMatch: first })).toBe('404 NoSuchKey')
  })

  it('of twelve writers racing for one absent key with If-None-Match: *, exactly one wins', async () => {
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => put('race', `writer-${i}`, { IfNoneMatch: '*' })))
    const winners = results.flatMap((r, i) => (r.startsWith('200') ? [i] : []))
    expect(winners).toHaveLength(1)
    expect(results.filter((r) => r === '412 PreconditionFailed')).toHaveLength(11)
    expect(await content('race')).toBe(`writer-${winners[0]}`)
  })

  it('in a versioned bucket a delete marker counts as no object: the key can be taken again', async () => {
    await fx.client().send(new CreateBucketCommand({ Bucket: 'vlocks' }))
    await fx.client().send(new PutBucketVersioningCommand({ Bucket: 'vlocks', VersioningConfiguration: { Status: 'Enabled' } }))
    expect(await put('lock', 'a', { IfNoneMatch: '*' }, 'vlocks')).toMatch(/^200 /)
    expect(await put('lock', 'b', { IfNoneMatch: '*' }, 'vlocks')).toBe('412 PreconditionFailed')
    await fx.client().send(new DeleteObjectCommand({ Bucket: 'vlocks', Key: 'lock' }))
    expect(await put('lock', 'c', { IfNoneMatch: '*' }, 'vlocks')).toMatch(/^200 /)
    expect(await content('lock', 'vlocks')).toBe('c')
  })

  it('a refused conditional upload sends no body (curl with Expect: 100-continue)', async () => {
    const file = join(work, 'big.bin')
    writeFileSync(file, Buffer.alloc(3 * 1024 * 1024, 7))
    const out = await run('curl', [
      '-sS', '--cacert', fx.pki.ca.certFile, '--user', `${ROOT_USER}:${ROOT_PASSWORD}`, '--aws-sigv4', 'aws:amz:us-east-1:s3',
      '-H', 'x-amz-content-sha256: UNSIGNED-PAYLOAD', '-H', 'If-None-Match: *', '-H', 'Expect: 100-continue', '--expect100-timeout', '20',
      '-T', file, '-w', '\n%{http_code} %{size_upload}', `${fx.server.url}/locks/lock`,
    ], { timeout: 60_000 })
    expect(out.stdout.trim().split('\n').pop()).toBe('412 0')
    expect(out.stdout).toContain('<Code>PreconditionFailed</Code>')
    expect(await content('lock')).toBe('holder-1')
  })

  it('boto3 (put_object IfNoneMatch) gets PreconditionFailed', async () => {
    const script = `
import sys, boto3
from botocore.exceptions import ClientError
s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1')
try:
    s3.put_object(Bucket='locks', Key='lock', Body=b'boto', IfNoneMatch='*')
    print('stored')
except ClientError as e:
    print(e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode'])
`
    const out = await run('python3', ['-c', script, fx.server.url], { env: fx.env(), timeout: 60_000 })
    expect(out.stdout.trim()).toBe('PreconditionFailed 412')
  }, 60_000)
})

describe('conditional CompleteMultipartUpload', () => {
  /** upload starts a two-part upload of `key` and answers what completing it with `cond` answers. */
  async function complete(key: string, cond: { IfNoneMatch?: string; IfMatch?: string }): Promise<{ outcome: string; uploadId: string; parts: Array<{ ETag: string; PartNumber: number }> }> {
    const s3 = fx.client()
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'locks', Key: key }))
    const parts: Array<{ ETag: string; PartNumber: number }> = []
    for (const [n, body] of [[1, Buffer.alloc(5 * 1024 * 1024, 1)], [2, Buffer.from('tail')]] as const) {
      const r = await s3.send(new UploadPartCommand({ Bucket: 'locks', Key: key, UploadId, PartNumber: n, Body: body }))
      parts.push({ ETag: r.ETag!, PartNumber: n })
    }
    try {
      await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'locks', Key: key, UploadId, MultipartUpload: { Parts: parts }, ...cond }))
      return { outcome: '200', uploadId: UploadId!, parts }
    } catch (err) {
      const e = err as S3ServiceException
      return { outcome: `${e.$metadata.httpStatusCode} ${e.name}`, uploadId: UploadId!, parts }
    }
  }

  it('If-None-Match: * completes an absent key, refuses an existing one with 412 and keeps the upload', async () => {
    expect((await complete('mpu-lock', { IfNoneMatch: '*' })).outcome).toBe('200')
    const second = await complete('mpu-lock', { IfNoneMatch: '*' })
    expect(second.outcome).toBe('412 PreconditionFailed')
    // Refused, not consumed: the same upload completes once the condition is dropped.
    await fx.client().send(new CompleteMultipartUploadCommand({ Bucket: 'locks', Key: 'mpu-lock', UploadId: second.uploadId, MultipartUpload: { Parts: second.parts } }))
    expect((await content('mpu-lock')).length).toBe(5 * 1024 * 1024 + 4)
  })

  it('If-Match on a key that holds another ETag is 412, on an absent key 404 NoSuchKey', async () => {
    await put('mpu-state', 'small')
    expect((await complete('mpu-state', { IfMatch: '"00000000000000000000000000000000"' })).outcome).toBe('412 PreconditionFailed')
    expect(await content('mpu-state')).toBe('small')
    expect((await complete('mpu-absent', { IfMatch: '"00000000000000000000000000000000"' })).outcome).toBe('404 NoSuchKey')
  })
})

describe('conditional CopyObject', () => {
  /** copy answers the status of copying `from` onto `to` with the destination conditions `cond`. */
  async function copy(from: string, to: string, cond: { IfNoneMatch?: string; IfMatch?: string }): Promise<string> {
    try {
      await fx.client().send(new CopyObjectCommand({ Bucket: 'locks', Key: to, CopySource: `locks/${from}`, ...cond }))
      return '200'
    } catch (err) {
      const e = err as S3ServiceException
      return `${e.$metadata.httpStatusCode} ${e.name}`
    }
  }

  it('If-None-Match: * copies onto an absent key and refuses an existing one with 412, leaving it as it was', async () => {
    await put('copy-src', 'new state')
    expect(await copy('copy-src', 'copy-lock', { IfNoneMatch: '*' })).toBe('200')
    expect(await content('copy-lock')).toBe('new state')
    await put('copy-src', 'other state')
    expect(await copy('copy-src', 'copy-lock', { IfNoneMatch: '*' })).toBe('412 PreconditionFailed')
    expect(await content('copy-lock')).toBe('new state')
  })

  it('If-Match copies only over the named ETag: 412 for another, 404 NoSuchKey for an absent key', async () => {
    await put('copy-src2', 'replacement')
    const held = (await put('copy-state', 'v1')).slice(4)
    expect(await copy('copy-src2', 'copy-state', { IfMatch: '"00000000000000000000000000000000"' })).toBe('412 PreconditionFailed')
    expect(await content('copy-state')).toBe('v1')
    expect(await copy('copy-src2', 'copy-absent', { IfMatch: held })).toBe('404 NoSuchKey')
    expect(await copy('copy-src2', 'copy-state', { IfMatch: held })).toBe('200')
    expect(await content('copy-state')).toBe('replacement')
  })

  it('of twelve copies racing for one absent key with If-None-Match: *, exactly one wins', async () => {
    await Promise.all(Array.from({ length: 12 }, (_, i) => put(`race-src-${i}`, `writer-${i}`)))
    const outcomes = await Promise.all(Array.from({ length: 12 }, (_, i) => copy(`race-src-${i}`, 'copy-race', { IfNoneMatch: '*' })))
    expect(outcomes.filter((o) => o === '200')).toHaveLength(1)
    expect(outcomes.filter((o) => o === '412 PreconditionFailed')).toHaveLength(11)
    expect(await content('copy-race')).toBe(`writer-${outcomes.indexOf('200')}`)
  })
})
