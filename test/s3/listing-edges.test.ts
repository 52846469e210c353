/**
 * Listing edges the public suites probe: max-keys=0, an empty continuation token, and paging with our own
 * continuation tokens through odd keys and common prefixes (every page's token accepted, nothing repeated).
 */
import { GetObjectCommand, ListObjectsCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3'
import { describe, expect, it } from 'vitest'
import { s3error, useS3 } from '../helpers/s3.js'

const fx = useS3({ buckets: ['edges'] })
// In S3's (UTF-8 byte) order: LF before space, ü after z.
const KEYS = ['a/1', 'a/2', 'b', 'c\ne', 'c d', 'd/x/y', 'e+f', 'z', 'ü/1', 'ü/2']

describe('listing edges', () => {
  it('max-keys=0 is an empty, complete listing; an empty continuation token lists from the start', async () => {
    const s3 = fx.client()
    for (const Key of KEYS) await s3.send(new PutObjectCommand({ Bucket: 'edges', Key, Body: 'x' }))
    const none = await s3.send(new ListObjectsV2Command({ Bucket: 'edges', MaxKeys: 0 }))
    expect([none.IsTruncated, none.Contents ?? [], none.KeyCount]).toEqual([false, [], 0])
    const empty = await s3.send(new ListObjectsV2Command({ Bucket: 'edges', ContinuationToken: '' }))
    expect(empty.ContinuationToken).toBe('')
    expect(empty.Contents!.map((c) => c.Key)).toEqual(KEYS)
  })

  it('pages of one and two, with and without a delimiter, accept every token they hand out', async () => {
    const s3 = fx.client()
    for (const [MaxKeys, Delimiter] of [[1, undefined], [2, '/'], [1, '/']] as const) {
      const seen: string[] = []
      let token: string | undefined
      for (let page = 0; page < 20; page++) {
        const r = await s3.send(new ListObjectsV2Command({ Bucket: 'edges', MaxKeys, Delimiter, ContinuationToken: token, EncodingType: 'url' }))
        seen.push(...(r.Contents ?? []).map((c) => decodeURIComponent(c.Key!)), ...(r.CommonPrefixes ?? []).map((p) => decodeURIComponent(p.Prefix!)))
        if (r.IsTruncated !== true) break
        token = r.NextContinuationToken
      }
      const want = Delimiter === undefined ? KEYS : ['a/', 'b', 'c\ne', 'c d', 'd/', 'e+f', 'z', 'ü/']
      // Within a page objects and prefixes come in separate lists: compare as sets, and count for repeats.
      expect(seen.length).toBe(want.length)
      expect([...seen].sort()).toEqual([...want].sort())
    }
  })
})

describe('conditional GET', () => {
  it('a 304 for If-None-Match names the ETag (boto3 and s3-tests read it)', async () => {
    const s3 = fx.client()
    const put = await s3.send(new PutObjectCommand({ Bucket: 'edges', Key: 'cond', Body: 'bar' }))
    const e = await s3error(s3.send(new GetObjectCommand({ Bucket: 'edges', Key: 'cond', IfNoneMatch: put.ETag })))
    expect(e.$metadata.httpStatusCode).toBe(304)
    expect((e.$response as { headers?: Record<string, string> } | undefined)?.headers?.etag).toBe(put.ETag)
  })
})

describe('ListObjects (V1) with encoding-type=url', () => {
  it('answers its Prefix as given (AWS; botocore decodes Prefix only for V2) and encodes keys', async () => {
    const s3 = fx.client()
    const v1 = await s3.send(new ListObjectsCommand({ Bucket: 'edges', Prefix: 'c', EncodingType: 'url' }))
    expect(v1.Prefix).toBe('c')
    expect(v1.Contents!.map((c) => c.Key)).toEqual(['c%0Ae', 'c%20d', 'cond'])
    const v2 = await s3.send(new ListObjectsV2Command({ Bucket: 'edges', Prefix: 'c\n', EncodingType: 'url' }))
    expect(v2.Prefix).toBe('c%0A')
  })
})
