/**
 * Tags of a versioned key belong to each version: GetObjectTagging/PutObjectTagging/DeleteObjectTagging with a
 * versionId read and change that version only, a delete marker answers 405 and the key behind it NoSuchKey,
 * as a GET does. With the AWS SDK.
 */
import {
  DeleteObjectCommand, DeleteObjectTaggingCommand, GetObjectTaggingCommand, PutBucketVersioningCommand, PutObjectCommand, PutObjectTaggingCommand,
} from '@aws-sdk/client-s3'
import { describe, expect, it } from 'vitest'
import { s3error, useS3 } from '../helpers/s3.js'

const fx = useS3({ buckets: ['vtags'] })

describe('per-version object tagging', () => {
  it('reads and changes each version on its own', async () => {
    const s3 = fx.client()
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'vtags', VersioningConfiguration: { Status: 'Enabled' } }))
    const v1 = (await s3.send(new PutObjectCommand({ Bucket: 'vtags', Key: 'k', Body: 'one', Tagging: 'v=1' }))).VersionId!
    const v2 = (await s3.send(new PutObjectCommand({ Bucket: 'vtags', Key: 'k', Body: 'two', Tagging: 'v=2' }))).VersionId!
    const tags = async (versionId?: string) => {
      const r = await s3.send(new GetObjectTaggingCommand({ Bucket: 'vtags', Key: 'k', ...(versionId ? { VersionId: versionId } : {}) }))
      return [r.VersionId, r.TagSet]
    }
    expect(await tags()).toEqual([v2, [{ Key: 'v', Value: '2' }]])
    expect(await tags(v1)).toEqual([v1, [{ Key: 'v', Value: '1' }]])

    const put = await s3.send(new PutObjectTaggingCommand({ Bucket: 'vtags', Key: 'k', VersionId: v1, Tagging: { TagSet: [{ Key: 'old', Value: 'yes' }] } }))
    expect(put.VersionId).toBe(v1)
    expect(await tags(v1)).toEqual([v1, [{ Key: 'old', Value: 'yes' }]])
    expect(await tags()).toEqual([v2, [{ Key: 'v', Value: '2' }]])
    await s3.send(new DeleteObjectTaggingCommand({ Bucket: 'vtags', Key: 'k', VersionId: v2 }))
    expect(await tags(v2)).toEqual([v2, []])
    expect(await tags(v1)).toEqual([v1, [{ Key: 'old', Value: 'yes' }]])

    const marker = (await s3.send(new DeleteObjectCommand({ Bucket: 'vtags', Key: 'k' }))).VersionId!
    expect((await s3error(s3.send(new GetObjectTaggingCommand({ Bucket: 'vtags', Key: 'k' })))).name).toBe('NoSuchKey')
    const onMarker = await s3error(s3.send(new GetObjectTaggingCommand({ Bucket: 'vtags', Key: 'k', VersionId: marker })))
    expect(onMarker.$metadata.httpStatusCode).toBe(405)
    expect(await tags(v1)).toEqual([v1, [{ Key: 'old', Value: 'yes' }]])
    const unknown = await s3error(s3.send(new GetObjectTaggingCommand({ Bucket: 'vtags', Key: 'k', VersionId: '00000000-0000-4000-8000-000000000000' })))
    expect(unknown.name).toBe('NoSuchVersion')
    const garbage = await s3error(s3.send(new GetObjectTaggingCommand({ Bucket: 'vtags', Key: 'k', VersionId: 'not-a-uuid' })))
    expect(garbage.$metadata.httpStatusCode).toBe(400)
  })
})
