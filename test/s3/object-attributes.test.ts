/**
 * GetObjectAttributes with the AWS SDK and curl: the attributes asked for and no others, a named version, the
 * parts of a multipart object page by page, and a precise 400 for attributes S3 does not know.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import {
  CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, GetObjectAttributesCommand,
  PutBucketVersioningCommand, PutObjectCommand, UploadPartCommand, type S3Client,
} from '@aws-sdk/client-s3'
import { beforeAll, describe, expect, it } from 'vitest'
import { ROOT_PASSWORD, ROOT_USER, s3error, useS3 } from '../helpers/s3.js'

const run = promisify(execFile)
const fx = useS3()
let s3: S3Client
const ALL = ['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize'] as const

beforeAll(async () => {
  s3 = fx.client()
  await s3.send(new CreateBucketCommand({ Bucket: 'attrs' }))
  await s3.send(new PutBucketVersioningCommand({ Bucket: 'attrs', VersioningConfiguration: { Status: 'Enabled' } }))
})

describe('GetObjectAttributes', () => {
  it('answers a single-part version\'s attributes, the checksum it was stored with, and no parts', async () => {
    const v1 = await s3.send(new PutObjectCommand({ Bucket: 'attrs', Key: 'one', Body: 'foo', ChecksumAlgorithm: 'SHA256' }))
    await s3.send(new PutObjectCommand({ Bucket: 'attrs', Key: 'one', Body: 'foobar' }))
    const cur = await s3.send(new GetObjectAttributesCommand({ Bucket: 'attrs', Key: 'one', ObjectAttributes: [...ALL] }))
    expect([cur.ObjectSize, cur.StorageClass, cur.ObjectParts]).toEqual([6, 'STANDARD', undefined])
    // The SDK sends a CRC32 of its own by default: that is what was stored.
    expect(cur.Checksum).toEqual({ ChecksumCRC32: expect.any(String), ChecksumType: 'FULL_OBJECT' })
    const old = await s3.send(new GetObjectAttributesCommand({ Bucket: 'attrs', Key: 'one', VersionId: v1.VersionId, ObjectAttributes: [...ALL] }))
    expect(old.VersionId).toBe(v1.VersionId)
    expect(old.ObjectSize).toBe(3)
    expect(old.ETag).toBe(v1.ETag!.replaceAll('"', ''))
    expect(old.Checksum?.ChecksumSHA256).toBe(v1.ChecksumSHA256)
    const some = await s3.send(new GetObjectAttributesCommand({ Bucket: 'attrs', Key: 'one', ObjectAttributes: ['ObjectSize'] }))
    expect([some.ObjectSize, some.ETag, some.StorageClass]).toEqual([6, undefined, undefined])
  })

  it('pages through a multipart object\'s parts', async () => {
    const mp = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'attrs', Key: 'mp' }))
    const part = Buffer.alloc(5 * 1024 * 1024, 'a')
    const parts = []
    for (let n = 1; n <= 3; n++) {
      const body = n === 3 ? Buffer.from('tail') : part
      const up = await s3.send(new UploadPartCommand({ Bucket: 'attrs', Key: 'mp', UploadId: mp.UploadId, PartNumber: n, Body: body }))
      parts.push({ PartNumber: n, ETag: up.ETag })
    }
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'attrs', Key: 'mp', UploadId: mp.UploadId, MultipartUpload: { Parts: parts } }))
    const first = await s3.send(new GetObjectAttributesCommand({ Bucket: 'attrs', Key: 'mp', ObjectAttributes: ['ObjectParts'], MaxParts: 2 }))
    expect(first.ObjectParts).toMatchObject({ TotalPartsCount: 3, IsTruncated: true, MaxParts: 2, NextPartNumberMarker: '2' })
    expect(first.ObjectParts?.Parts?.map((p) => [p.PartNumber, p.Size])).toEqual([[1, part.length], [2, part.length]])
    const rest = await s3.send(new GetObjectAttributesCommand({ Bucket: 'attrs', Key: 'mp', ObjectAttributes: ['ObjectParts'], PartNumberMarker: '2' }))
    expect(rest.ObjectParts).toMatchObject({ IsTruncated: false, PartNumberMarker: '2', NextPartNumberMarker: '3' })
    expect(rest.ObjectParts?.Parts?.map((p) => [p.PartNumber, p.Size])).toEqual([[3, 4]])
  })

  it('refuses unknown or missing attributes and bad part headers with 400 InvalidArgument', async () => {
    const curl = async (headers: string[]): Promise<{ status: number; body: string }> => {
      const args = ['-s', '--cacert', fx.pki.ca.certFile, '--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', `${ROOT_USER}:${ROOT_PASSWORD}`,
        '-w', '\n%{http_code}', '-H', 'x-amz-content-sha256: UNSIGNED-PAYLOAD', ...headers.flatMap((h) => ['-H', h]), `${fx.server.url}/attrs/one?attributes=`]
      const { stdout } = await run('curl', args, { timeout: 30_000 })
      const at = stdout.lastIndexOf('\n')
      return { status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) }
    }
    for (const headers of [[], ['x-amz-object-attributes: Owner'], ['x-amz-object-attributes: ETag,Everything'],
      ['x-amz-object-attributes: ETag', 'x-amz-max-parts: -1'], ['x-amz-object-attributes: ETag', 'x-amz-part-number-marker: x']]) {
      const a = await curl(headers)
      expect(a.status, a.body).toBe(400)
      expect(a.body).toContain('<Code>InvalidArgument</Code>')
    }
    const gone = await s3error(s3.send(new GetObjectAttributesCommand({ Bucket: 'attrs', Key: 'nothing', ObjectAttributes: ['ETag'] })))
    expect(gone.name).toBe('NoSuchKey')
  })
})
