/**
 * Unfinished multipart uploads are aborted once stale (MinIO's api.stale_uploads_expiry, 24 h by default): an
 * upload left alone kept its parts on disk for good, and a client could start them by the thousand (found by an
 * attack). Here with a stale time of 300 ms and a pass every 100 ms.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { CreateBucketCommand, CreateMultipartUploadCommand, ListMultipartUploadsCommand, UploadPartCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startS3, type S3Fixture } from '../helpers/s3.js'

let fx: S3Fixture
beforeAll(async () => {
  fx = await startS3({ staleUploadsMs: 300, lifecycleIntervalMs: 100 })
})
afterAll(async () => fx?.close())

const blobFiles = () => readdirSync(join(fx.dataDir, 'blobs')).flatMap((d) => readdirSync(join(fx.dataDir, 'blobs', d)))

describe('stale multipart uploads', () => {
  it('an upload left unfinished is aborted after the stale time, its parts removed; a fresh one stays', async () => {
    const s3 = fx.client()
    await s3.send(new CreateBucketCommand({ Bucket: 'stale' }))
    const old = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'stale', Key: 'left' }))
    await s3.send(new UploadPartCommand({ Bucket: 'stale', Key: 'left', UploadId: old.UploadId, PartNumber: 1, Body: Buffer.alloc(64 * 1024, 1) }))
    expect(blobFiles()).toHaveLength(1)
    const listed = async () => (await s3.send(new ListMultipartUploadsCommand({ Bucket: 'stale' }))).Uploads?.map((u) => u.Key) ?? []
    const deadline = Date.now() + 10_000
    while ((await listed()).includes('left')) {
      if (Date.now() > deadline) throw new Error('the stale upload was never aborted')
      await new Promise((r) => setTimeout(r, 100))
    }
    await s3.send(new CreateMultipartUploadCommand({ Bucket: 'stale', Key: 'fresh' }))
    expect(await listed()).toEqual(['fresh'])
    for (let i = 0; i < 50 && blobFiles().length > 0; i++) await new Promise((r) => setTimeout(r, 100))
    expect(blobFiles()).toHaveLength(0)
  })
})
