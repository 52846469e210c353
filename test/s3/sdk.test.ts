import { createHash, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  CopyObjectCommand, CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, DeleteObjectsCommand,
  GetBucketLocationCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListBucketsCommand,
  ListObjectsCommand, ListObjectsV2Command, ListObjectVersionsCommand, PutObjectCommand,
} from '@aws-sdk/client-s3'
import { s3error, useS3 } from '../helpers/s3.js'

const fx = useS3()

describe('AWS SDK v3 (default checksums) over TLS', () => {
  it('creates, heads, lists and locates buckets', async () => {
    const s3 = fx.client()
    await s3.send(new CreateBucketCommand({ Bucket: 'alpha' }))
    await s3.send(new HeadBucketCommand({ Bucket: 'alpha' }))
    const list = await s3.send(new ListBucketsCommand({}))
    expect(list.Buckets?.map((b) => b.Name)).toContain('alpha')
    const loc = await s3.send(new GetBucketLocationCommand({ Bucket: 'alpha' }))
    expect(loc.LocationConstraint ?? '').toBe('')
    const dup = await s3error(s3.send(new CreateBucketCommand({ Bucket: 'alpha' })))
    expect(dup.name).toBe('BucketAlreadyOwnedByYou')
    const bad = await s3error(s3.send(new CreateBucketCommand({ Bucket: 'Bad_Name' })))
    expect(bad.name).toBe('InvalidBucketName')
    const missing = await s3error(s3.send(new HeadBucketCommand({ Bucket: 'nope-nope' })))
    expect(missing.$metadata.httpStatusCode).toBe(404)
  })

  it('puts and gets objects with metadata, ranges and conditionals', async () => {
    const s3 = fx.client()
    const body = randomBytes(100_000)
    const put = await s3.send(new PutObjectCommand({
      Bucket: 'alpha', Key: 'dir/obj ü?#.bin', Body: body, ContentType: 'application/x-test',
      Metadata: { color: 'blue' }, CacheControl: 'no-cache',
    }))
    const md5 = createHash('md5').update(body).digest('hex')
    expect(put.ETag).toBe(`"${md5}"`)
    const got = await s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'dir/obj ü?#.bin', ChecksumMode: 'ENABLED' }))
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true)
    expect(got.ContentType).toBe('application/x-test')
    expect(got.Metadata).toEqual({ color: 'blue' })
    expect(got.CacheControl).toBe('no-cache')
    expect(got.ChecksumCRC32).toBeDefined()
    const ranged = await s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'dir/obj ü?#.bin', Range: 'bytes=10-19' }))
    expect(ranged.ContentRange).toBe('bytes 10-19/100000')
    expect(Buffer.from(await ranged.Body!.transformToByteArray()).equals(body.subarray(10, 20))).toBe(true)
    const suffix = await s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'dir/obj ü?#.bin', Range: 'bytes=-5' }))
    expect(Buffer.from(await suffix.Body!.transformToByteArray()).equals(body.subarray(-5))).toBe(true)
    const bad = await s3error(s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'dir/obj ü?#.bin', Range: 'bytes=200000-' })))
    expect(bad.name).toBe('InvalidRange')
    expect(bad.$metadata.httpStatusCode).toBe(416)
    const pre = await s3error(s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'dir/obj ü?#.bin', IfMatch: '"abc"' })))
    expect(pre.$metadata.httpStatusCode).toBe(412)
    const nm = await s3error(s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'dir/obj ü?#.bin', IfNoneMatch: `"${md5}"` })))
    expect(nm.$metadata.httpStatusCode).toBe(304)
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'alpha', Key: 'dir/obj ü?#.bin' }))
    expect(head.ContentLength).toBe(100_000)
    const nokey = await s3error(s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'missing' })))
    expect(nokey.name).toBe('NoSuchKey')
  })

  it('copies with COPY and REPLACE directives', async () => {
    const s3 = fx.client()
    await s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'src', Body: 'copy me', Metadata: { a: '1' } }))
    await s3.send(new CopyObjectCommand({ Bucket: 'alpha', Key: 'dst1', CopySource: 'alpha/src' }))
    const d1 = await s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'dst1' }))
    expect(await d1.Body!.transformToString()).toBe('copy me')
    expect(d1.Metadata).toEqual({ a: '1' })
    await s3.send(new CopyObjectCommand({ Bucket: 'alpha', Key: 'dst2', CopySource: 'alpha/src', MetadataDirective: 'REPLACE', Metadata: { b: '2' } }))
    const d2 = await s3.send(new HeadObjectCommand({ Bucket: 'alpha', Key: 'dst2' }))
    expect(d2.Metadata).toEqual({ b: '2' })
    const self = await s3error(s3.send(new CopyObjectCommand({ Bucket: 'alpha', Key: 'src', CopySource: 'alpha/src' })))
    expect(self.name).toBe('InvalidRequest')
  })

  it('lists with prefix, delimiter, continuation and versions', async () => {
    const s3 = fx.client()
    await s3.send(new CreateBucketCommand({ Bucket: 'listing' }))
    const keys = ['a/1', 'a/2', 'b/1', 'c', 'd', 'e/f/g']
    for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: 'listing', Key, Body: Key }))
    const top = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Delimiter: '/' }))
    expect(top.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/', 'b/', 'e/'])
    expect(top.Contents?.map((c) => c.Key)).toEqual(['c', 'd'])
    const seen: string[] = []
    let token: string | undefined
    for (let i = 0; i < 10; i++) {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', MaxKeys: 2, ContinuationToken: token, Delimiter: '/' }))
      seen.push(...(page.Contents ?? []).map((c) => c.Key!), ...(page.CommonPrefixes ?? []).map((p) => p.Prefix!))
      token = page.NextContinuationToken
      if (page.IsTruncated !== true) break
    }
    expect(seen.sort()).toEqual(['a/', 'b/', 'c', 'd', 'e/'])
    const pre = await s3.send(new ListObjectsCommand({ Bucket: 'listing', Prefix: 'a/' }))
    expect(pre.Contents?.map((c) => c.Key)).toEqual(['a/1', 'a/2'])
    const v1 = await s3.send(new ListObjectsCommand({ Bucket: 'listing', Delimiter: '/', MaxKeys: 1, Marker: 'a/' }))
    expect(v1.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['b/'])
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: 'listing' }))
    expect(versions.Versions?.length).toBe(keys.length)
    expect(versions.Versions?.every((v) => v.VersionId === 'null' && v.IsLatest === true)).toBe(true)
    const notEmpty = await s3error(s3.send(new DeleteBucketCommand({ Bucket: 'listing' })))
    expect(notEmpty.name).toBe('BucketNotEmpty')
    const del = await s3.send(new DeleteObjectsCommand({
      Bucket: 'listing', Delete: { Objects: (versions.Versions ?? []).map((v) => ({ Key: v.Key, VersionId: v.VersionId })) },
    }))
    expect(del.Deleted?.length).toBe(keys.length)
    await s3.send(new DeleteObjectCommand({ Bucket: 'listing', Key: 'never-existed' }))
    await s3.send(new DeleteBucketCommand({ Bucket: 'listing' }))
  })
})
