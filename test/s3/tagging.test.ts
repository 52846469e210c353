/**
 * Object and bucket tagging as MinIO answers them, and ACL subresources (accepted when they change nothing,
 * else 501 NotImplemented), with the AWS SDK and boto3.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import {
  CompleteMultipartUploadCommand, CopyObjectCommand, CreateBucketCommand, CreateMultipartUploadCommand, UploadPartCommand, DeleteBucketTaggingCommand, DeleteObjectCommand, DeleteObjectTaggingCommand,
  GetBucketAclCommand, GetBucketTaggingCommand, ListBucketsCommand, GetObjectTaggingCommand, HeadObjectCommand, PutBucketAclCommand,
  PutBucketTaggingCommand, PutObjectAclCommand, PutObjectCommand, PutObjectTaggingCommand,
} from '@aws-sdk/client-s3'
import { describe, expect, it } from 'vitest'
import { parseTaggingHeader, parseTaggingXml } from '../../src/s3/api/tag-set.js'
import { s3error, useS3 } from '../helpers/s3.js'

const run = promisify(execFile)
const fx = useS3({ buckets: ['tags'] })

describe('object tagging', () => {
  it('x-amz-tagging on PUT, GetObjectTagging, x-amz-tagging-count, replace, delete', async () => {
    const s3 = fx.client()
    await s3.send(new PutObjectCommand({ Bucket: 'tags', Key: 'a', Body: 'a', Tagging: 'team=blue&note=x%20%26%20y' }))
    const got = await s3.send(new GetObjectTaggingCommand({ Bucket: 'tags', Key: 'a' }))
    expect(got.TagSet).toEqual([{ Key: 'team', Value: 'blue' }, { Key: 'note', Value: 'x & y' }])
    expect((await s3.send(new HeadObjectCommand({ Bucket: 'tags', Key: 'a' }))).$metadata.httpStatusCode).toBe(200)
    await s3.send(new PutObjectTaggingCommand({ Bucket: 'tags', Key: 'a', Tagging: { TagSet: [{ Key: ' spaced ', Value: '<&>' }] } }))
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: 'tags', Key: 'a' }))).TagSet).toEqual([{ Key: ' spaced ', Value: '<&>' }])
    await s3.send(new DeleteObjectTaggingCommand({ Bucket: 'tags', Key: 'a' }))
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: 'tags', Key: 'a' }))).TagSet).toEqual([])
  })

  it('tags belong to the object: an overwrite or a delete takes them along', async () => {
    const s3 = fx.client()
    await s3.send(new PutObjectCommand({ Bucket: 'tags', Key: 'b', Body: 'b', Tagging: 'k=v' }))
    await s3.send(new PutObjectCommand({ Bucket: 'tags', Key: 'b', Body: 'b2' }))
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: 'tags', Key: 'b' }))).TagSet).toEqual([])
    await s3.send(new DeleteObjectCommand({ Bucket: 'tags', Key: 'b' }))
    expect((await s3error(s3.send(new GetObjectTaggingCommand({ Bucket: 'tags', Key: 'b' })))).name).toBe('NoSuchKey')
  })

  it('CopyObject keeps the source tags by default and replaces them with x-amz-tagging-directive REPLACE', async () => {
    const s3 = fx.client()
    await s3.send(new PutObjectCommand({ Bucket: 'tags', Key: 'src', Body: 's', Tagging: 'from=src' }))
    await s3.send(new CopyObjectCommand({ Bucket: 'tags', Key: 'copy1', CopySource: 'tags/src' }))
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: 'tags', Key: 'copy1' }))).TagSet).toEqual([{ Key: 'from', Value: 'src' }])
    await s3.send(new CopyObjectCommand({ Bucket: 'tags', Key: 'copy2', CopySource: 'tags/src', TaggingDirective: 'REPLACE', Tagging: 'new=1' }))
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: 'tags', Key: 'copy2' }))).TagSet).toEqual([{ Key: 'new', Value: '1' }])
  })

  it('tags given to CreateMultipartUpload land on the completed object', async () => {
    const s3 = fx.client()
    const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'tags', Key: 'mp', Tagging: 'stage=mp' }))
    const part = await s3.send(new UploadPartCommand({ Bucket: 'tags', Key: 'mp', UploadId: up.UploadId, PartNumber: 1, Body: 'part' }))
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'tags', Key: 'mp', UploadId: up.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }))
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: 'tags', Key: 'mp' }))).TagSet).toEqual([{ Key: 'stage', Value: 'mp' }])
  })

  it('limits: 11 tags, a 129-character key, a 257-character value, a duplicate key are 400 InvalidTag', async () => {
    const s3 = fx.client()
    await s3.send(new PutObjectCommand({ Bucket: 'tags', Key: 'lim', Body: 'l' }))
    const put = (TagSet: Array<{ Key: string; Value: string }>): Promise<unknown> =>
      s3.send(new PutObjectTaggingCommand({ Bucket: 'tags', Key: 'lim', Tagging: { TagSet } }))
    const eleven = Array.from({ length: 11 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }))
    for (const [set, message] of [
      [eleven, 'Tags cannot be more than 10'],
      [[{ Key: 'k'.repeat(129), Value: 'v' }], 'The TagKey you have provided is invalid'],
      [[{ Key: 'k', Value: 'v'.repeat(257) }], 'The TagValue you have provided is invalid'],
      [[{ Key: 'k', Value: '1' }, { Key: 'k', Value: '2' }], 'Cannot provide multiple Tags with the same key'],
    ] as const) {
      const e = await s3error(put([...set]))
      expect([e.$metadata.httpStatusCode, e.name, e.message]).toEqual([400, 'InvalidTag', message])
    }
    // At the limits it is fine: 10 tags, 128 and 256 characters (characters, not bytes).
    await put([...eleven.slice(1), { Key: 'ü'.repeat(128), Value: 'é'.repeat(256) }].slice(-10))
    const e = await s3error(s3.send(new PutObjectCommand({ Bucket: 'tags', Key: 'lim2', Body: 'x', Tagging: eleven.map((t) => `${t.Key}=v`).join('&') })))
    expect([e.name, e.message]).toEqual(['InvalidTag', 'Tags cannot be more than 10'])
  })
})

describe('bucket tagging', () => {
  it('NoSuchTagSet, put, get, 50-tag limit, delete', async () => {
    const s3 = fx.client()
    await s3.send(new CreateBucketCommand({ Bucket: 'btags' }))
    const none = await s3error(s3.send(new GetBucketTaggingCommand({ Bucket: 'btags' })))
    expect([none.$metadata.httpStatusCode, none.name]).toEqual([404, 'NoSuchTagSet'])
    const fifty = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: `v${i}` }))
    await s3.send(new PutBucketTaggingCommand({ Bucket: 'btags', Tagging: { TagSet: fifty } }))
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket: 'btags' }))).TagSet).toEqual(fifty)
    const over = await s3error(s3.send(new PutBucketTaggingCommand({ Bucket: 'btags', Tagging: { TagSet: [...fifty, { Key: 'x', Value: 'y' }] } })))
    expect([over.name, over.message]).toEqual(['InvalidTag', 'Tags cannot be more than 50'])
    await s3.send(new DeleteBucketTaggingCommand({ Bucket: 'btags' }))
    expect((await s3error(s3.send(new GetBucketTaggingCommand({ Bucket: 'btags' })))).name).toBe('NoSuchTagSet')
  })

  it('a Tagging document with a DTD, another root, or a Tag without Key is refused before anything is stored', () => {
    const bomb = '<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaa">]><Tagging><TagSet><Tag><Key>&a;</Key><Value>v</Value></Tag></TagSet></Tagging>'
    expect(() => parseTaggingXml(Buffer.from(bomb), true)).toThrow(/not well-formed/)
    expect(() => parseTaggingXml(Buffer.from('<Other><TagSet/></Other>'), true)).toThrow(/not well-formed/)
    expect(() => parseTaggingXml(Buffer.from('<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>'), true)).toThrow(/TagKey/)
    expect(parseTaggingHeader('a=1&b=%20')).toEqual([['a', '1'], ['b', ' ']])
    expect(() => parseTaggingHeader('a=%zz')).toThrow(/TagKey/)
  })
})

describe('ACLs', () => {
  it('Get*Acl answer owner FULL_CONTROL; private is accepted; public-read is 501 NotImplemented', async () => {
    const s3 = fx.client()
    const acl = await s3.send(new GetBucketAclCommand({ Bucket: 'tags' }))
    expect(acl.Grants?.[0]?.Permission).toBe('FULL_CONTROL')
    // The owner the bucket listing names, not an empty one (s3cmd info printed "None: FULL_CONTROL").
    const listed = await s3.send(new ListBucketsCommand({}))
    expect(acl.Owner).toEqual(listed.Owner)
    expect(acl.Owner).toEqual({ ID: 'keyhold-s3', DisplayName: 'keyhold-s3' })
    expect(acl.Grants?.[0]?.Grantee).toMatchObject({ ID: 'keyhold-s3', DisplayName: 'keyhold-s3', Type: 'CanonicalUser' })
    await s3.send(new PutBucketAclCommand({ Bucket: 'tags', ACL: 'private' }))
    const e = await s3error(s3.send(new PutBucketAclCommand({ Bucket: 'tags', ACL: 'public-read' })))
    expect([e.$metadata.httpStatusCode, e.name]).toEqual([501, 'NotImplemented'])
    await s3.send(new PutObjectCommand({ Bucket: 'tags', Key: 'acl', Body: 'x', ACL: 'private' }))
    await s3.send(new PutObjectAclCommand({ Bucket: 'tags', Key: 'acl', ACL: 'private' }))
    expect((await s3error(s3.send(new PutObjectAclCommand({ Bucket: 'tags', Key: 'acl', ACL: 'public-read-write' })))).name).toBe('NotImplemented')
  })
})

describe('boto3', () => {
  it('tagging and bucket tagging round trips, refused extras', async () => {
    const script = `
import boto3, sys, json
from botocore.config import Config
from botocore.exceptions import ClientError
c = boto3.client('s3', endpoint_url=sys.argv[1], verify=sys.argv[2], config=Config(s3={'addressing_style': 'path'}))
c.create_bucket(Bucket='boto-tags', ACL='private')
c.put_object(Bucket='boto-tags', Key='o', Body=b'x', Tagging='a=1&b=2')
out = {'count': c.head_object(Bucket='boto-tags', Key='o')['ResponseMetadata']['HTTPHeaders'].get('x-amz-tagging-count')}
out['tags'] = c.get_object_tagging(Bucket='boto-tags', Key='o')['TagSet']
c.put_bucket_tagging(Bucket='boto-tags', Tagging={'TagSet': [{'Key': 'env', 'Value': 'test'}]})
out['bucket'] = c.get_bucket_tagging(Bucket='boto-tags')['TagSet']
try:
    c.put_object_tagging(Bucket='boto-tags', Key='o', Tagging={'TagSet': [{'Key': 'k' * 129, 'Value': 'v'}]})
except ClientError as e:
    out['long_key'] = e.response['Error']['Code']
print(json.dumps(out))
`
    const { stdout } = await run('python3', ['-c', script, fx.server.url, fx.pki.ca.certFile], { env: fx.env(), timeout: 60_000 })
    expect(JSON.parse(stdout)).toEqual({
      count: '2', tags: [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }], bucket: [{ Key: 'env', Value: 'test' }], long_key: 'InvalidTag',
    })
  })
})
