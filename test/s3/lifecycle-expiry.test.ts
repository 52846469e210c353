/**
 * The lifecycle expiry pass: a running server removes what a rule dated in the past expires (and nothing
 * else); one pass run at a later clock over the same SQLite database expires objects by days (a delete marker
 * on a versioned bucket), noncurrent versions past NoncurrentDays keeping NewerNoncurrentVersions, a delete
 * marker left alone, and multipart uploads past AbortIncompleteMultipartUpload. Seen through the AWS SDK.
 */
import { createHash } from 'node:crypto'
import {
  CreateBucketCommand, CreateMultipartUploadCommand, DeleteObjectCommand, ListMultipartUploadsCommand, ListObjectVersionsCommand,
  ListObjectsV2Command, PutBucketLifecycleConfigurationCommand, PutBucketVersioningCommand, PutObjectCommand,
  PutObjectLegalHoldCommand, type S3Client,
} from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/s3/storage/db.js'
import { BlobStore } from '../../src/s3/storage/blobs.js'
import { MetaStore } from '../../src/s3/storage/meta.js'
import { DAY_MS } from '../../src/s3/lifecycle/evaluate.js'
import { runExpiryPass, type ExpiryCursors } from '../../src/s3/lifecycle/expiry.js'
import { startS3, type S3Fixture } from '../helpers/s3.js'

let fx: S3Fixture
let s3: S3Client
beforeAll(async () => {
  fx = await startS3({ lifecycleIntervalMs: 100 })
  s3 = fx.client()
})
afterAll(async () => fx?.close())

const keys = async (Bucket: string) => ((await s3.send(new ListObjectsV2Command({ Bucket }))).Contents ?? []).map((o) => o.Key)
const versions = async (Bucket: string) => {
  const r = await s3.send(new ListObjectVersionsCommand({ Bucket }))
  return { versions: (r.Versions ?? []).map((v) => v.Key), markers: (r.DeleteMarkers ?? []).map((m) => m.Key) }
}

/** withMeta opens the server's database a second time (SQLite WAL allows it) and runs one expiry pass at `now`. */
function passAt(now: number) {
  const db = openDatabase(fx.dataDir)
  try {
    return runExpiryPass(new MetaStore(db, new BlobStore(fx.dataDir, db)), now, new Map() as ExpiryCursors)
  } finally {
    db.close()
  }
}

describe('lifecycle expiry', () => {
  it('a running server expires objects under a rule dated in the past, and only those', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'dated' }))
    for (const Key of ['past/foo', 'past/bar', 'future/foo', 'other']) await s3.send(new PutObjectCommand({ Bucket: 'dated', Key, Body: Key }))
    await s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: 'dated', LifecycleConfiguration: { Rules: [
      { ID: 'past', Status: 'Enabled', Filter: { Prefix: 'past/' }, Expiration: { Date: new Date('2015-01-01T00:00:00Z') } },
      { ID: 'future', Status: 'Enabled', Filter: { Prefix: 'future/' }, Expiration: { Date: new Date('2040-01-01T00:00:00Z') } },
      { ID: 'off', Status: 'Disabled', Filter: { Prefix: 'other' }, Expiration: { Date: new Date('2015-01-01T00:00:00Z') } },
    ] } }))
    const deadline = Date.now() + 10_000
    while ((await keys('dated')).length > 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    expect(await keys('dated')).toEqual(['future/foo', 'other'])
  })

  it('one pass at a later clock expires by days, noncurrent versions, lone delete markers and stale uploads', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'aged' }))
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'aged', VersioningConfiguration: { Status: 'Enabled' } }))
    for (let i = 0; i < 4; i++) await s3.send(new PutObjectCommand({ Bucket: 'aged', Key: 'nc/k', Body: `v${i}` }))
    await s3.send(new PutObjectCommand({ Bucket: 'aged', Key: 'exp/a', Body: 'a' }))
    await s3.send(new PutObjectCommand({ Bucket: 'aged', Key: 'keep/a', Body: 'a' }))
    await s3.send(new PutObjectCommand({ Bucket: 'aged', Key: 'dm/gone', Body: 'x' }))
    await s3.send(new DeleteObjectCommand({ Bucket: 'aged', Key: 'dm/gone' }))
    const up1 = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'aged', Key: 'up/stale' }))
    await s3.send(new CreateMultipartUploadCommand({ Bucket: 'aged', Key: 'kept-upload' }))
    await s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: 'aged', LifecycleConfiguration: { Rules: [
      { ID: 'nc', Status: 'Enabled', Filter: { Prefix: 'nc/' }, NoncurrentVersionExpiration: { NoncurrentDays: 1, NewerNoncurrentVersions: 1 } },
      { ID: 'exp', Status: 'Enabled', Filter: { Prefix: 'exp/' }, Expiration: { Days: 2 } },
      { ID: 'dm', Status: 'Enabled', Filter: { Prefix: 'dm/' }, NoncurrentVersionExpiration: { NoncurrentDays: 1 } },
      { ID: 'dm-marker', Status: 'Enabled', Filter: { Prefix: 'dm/' }, Expiration: { ExpiredObjectDeleteMarker: true } },
      { ID: 'up', Status: 'Enabled', Filter: { Prefix: 'up/' }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
    ] } }))

    // Today nothing is due.
    expect(passAt(Date.now())).toEqual({ expired: 0, noncurrent: 0, deleteMarkers: 0, uploads: 0 })
    // In three days: exp/a is older than 2 days; nc/k keeps its current and one noncurrent version; dm/gone's
    // version goes after a day, which leaves its delete marker alone, and that goes too; up/stale is aborted.
    expect(passAt(Date.now() + 3 * DAY_MS)).toEqual({ expired: 1, noncurrent: 3, deleteMarkers: 1, uploads: 1 })
    const after = await versions('aged')
    expect(after.versions.sort()).toEqual(['exp/a', 'keep/a', 'nc/k', 'nc/k'])
    // exp/a expired behind a delete marker: the bucket is versioned.
    expect(after.markers).toEqual(['exp/a'])
    expect(await keys('aged')).toEqual(['keep/a', 'nc/k'])
    const uploads = (await s3.send(new ListMultipartUploadsCommand({ Bucket: 'aged' }))).Uploads ?? []
    expect(uploads.map((u) => u.Key)).toEqual(['kept-upload'])
    expect(uploads.some((u) => u.UploadId === up1.UploadId)).toBe(false)
  })

  it("MinIO's ExpiredObjectAllVersions takes every version of an expired key", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'allv' }))
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'allv', VersioningConfiguration: { Status: 'Enabled' } }))
    for (const Body of ['1', '2', '3']) await s3.send(new PutObjectCommand({ Bucket: 'allv', Key: 'all/k', Body }))
    await s3.send(new PutObjectCommand({ Bucket: 'allv', Key: 'keep', Body: 'k' }))
    // The SDK has no field for MinIO's extension: the document goes as written.
    const xml = '<LifecycleConfiguration><Rule><ID>all</ID><Status>Enabled</Status><Filter><Prefix>all/</Prefix></Filter>'
      + '<Expiration><Days>1</Days><ExpiredObjectAllVersions>true</ExpiredObjectAllVersions></Expiration></Rule></LifecycleConfiguration>'
    const cmd = new PutBucketLifecycleConfigurationCommand({ Bucket: 'allv', LifecycleConfiguration: { Rules: [] } })
    cmd.middlewareStack.add((next) => (args) => {
      const req = args.request as { body: unknown; headers: Record<string, string> }
      for (const h of Object.keys(req.headers)) if (/^(x-amz-checksum-|x-amz-sdk-checksum-algorithm$)/i.test(h)) delete req.headers[h]
      req.body = xml
      req.headers['content-length'] = String(xml.length)
      req.headers['content-md5'] = createHash('md5').update(xml).digest('base64')
      return next(args)
    }, { step: 'build', priority: 'low', name: 'rawLifecycleBody' })
    await s3.send(cmd)
    expect(passAt(Date.now() + 3 * DAY_MS).expired).toBe(1)
    const left = await versions('allv')
    expect([left.versions, left.markers]).toEqual([['keep'], []])
  })
  it('never removes a version object lock keeps: a legal hold or an unexpired retention outlives every rule', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'locked-lc', ObjectLockEnabledForBucket: true }))
    const v1 = await s3.send(new PutObjectCommand({ Bucket: 'locked-lc', Key: 'held', Body: 'v1' }))
    await s3.send(new PutObjectLegalHoldCommand({ Bucket: 'locked-lc', Key: 'held', VersionId: v1.VersionId, LegalHold: { Status: 'ON' } }))
    await s3.send(new PutObjectCommand({ Bucket: 'locked-lc', Key: 'held', Body: 'v2' }))
    // Retained for 10 days (COMPLIANCE: not even a bypass could remove it); then made noncurrent.
    const until = new Date(Date.now() + 10 * DAY_MS)
    await s3.send(new PutObjectCommand({ Bucket: 'locked-lc', Key: 'kept', Body: 'k1', ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: until }))
    await s3.send(new PutObjectCommand({ Bucket: 'locked-lc', Key: 'kept', Body: 'k2' }))
    await s3.send(new PutObjectCommand({ Bucket: 'locked-lc', Key: 'free', Body: 'f1' }))
    await s3.send(new PutObjectCommand({ Bucket: 'locked-lc', Key: 'free', Body: 'f2' }))
    await s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: 'locked-lc', LifecycleConfiguration: { Rules: [
      { ID: 'nc', Status: 'Enabled', Filter: { Prefix: '' }, NoncurrentVersionExpiration: { NoncurrentDays: 1 } },
    ] } }))
    // In three days only free's noncurrent version goes; in eleven, kept's retention has run out and it goes too.
    expect(passAt(Date.now() + 3 * DAY_MS).noncurrent).toBe(1)
    expect((await versions('locked-lc')).versions.sort()).toEqual(['free', 'held', 'held', 'kept', 'kept'])
    expect(passAt(Date.now() + 11 * DAY_MS).noncurrent).toBe(1)
    expect((await versions('locked-lc')).versions.sort()).toEqual(['free', 'held', 'held', 'kept'])
  })
})
