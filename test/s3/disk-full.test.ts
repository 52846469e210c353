/**
 * A full data directory (a small tmpfs): writes are refused as MinIO refuses them, 507 XMinioStorageFull, not
 * 500 InternalError; a refused write leaves no blob file behind; what was acknowledged stays readable; deletes
 * still commit (the space reserve) and free their blobs; and the server writes again once space is freed,
 * without a restart. Needs root (mount); skipped otherwise.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import {
  AbortMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, DeleteObjectCommand, DeleteObjectsCommand,
  GetObjectCommand, HeadObjectCommand, PutBucketVersioningCommand, PutObjectCommand, UploadPartCommand, type S3Client,
} from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { bodyBytes, s3error, startS3, type S3Fixture } from '../helpers/s3.js'
import { fillDisk, mountTmpfs } from '../helpers/tmpfs.js'
import { recordLog } from '../helpers/message-log.js'
import { RESERVE_FILE } from '../../src/s3/storage/space-reserve.js'

const tmpfs = mountTmpfs(24)
const STORAGE_FULL = 'Storage backend has reached its minimum free drive threshold. Please delete a few objects to proceed.'

function blobFiles(dataDir: string): string[] {
  const root = join(dataDir, 'blobs')
  return readdirSync(root).flatMap((d) => readdirSync(join(root, d)))
}

describe.skipIf(tmpfs.skip !== undefined)(`a full data directory${tmpfs.skip !== undefined ? ` (skipped: ${tmpfs.skip})` : ''}`, () => {
  let fx: S3Fixture
  let s3: S3Client
  const logs = recordLog()
  const ballast = (): string => join(tmpfs.dir!, 'ballast')
  const kept = randomBytes(1024 * 1024)
  let uploadId: string

  beforeAll(async () => {
    fx = await startS3({ dataDir: join(tmpfs.dir!), log: logs.log })
    s3 = fx.client()
    await s3.send(new CreateBucketCommand({ Bucket: 'full' }))
    await s3.send(new PutObjectCommand({ Bucket: 'full', Key: 'kept', Body: kept }))
    for (const Key of ['doomed-1', 'doomed-2']) await s3.send(new PutObjectCommand({ Bucket: 'full', Key, Body: randomBytes(1024 * 1024) }))
    uploadId = (await s3.send(new CreateMultipartUploadCommand({ Bucket: 'full', Key: 'upload' }))).UploadId!
    await s3.send(new UploadPartCommand({ Bucket: 'full', Key: 'upload', UploadId: uploadId, PartNumber: 1, Body: randomBytes(1024 * 1024) }))
  })
  afterAll(async () => {
    await fx?.close()
    tmpfs.unmount()
  })

  it('refuses a PUT larger than the free space with 507 XMinioStorageFull and leaves no blob file', async () => {
    fillDisk(ballast(), 512 * 1024)
    const before = blobFiles(fx.dataDir)
    const err = await s3error(s3.send(new PutObjectCommand({ Bucket: 'full', Key: 'big', Body: randomBytes(2 * 1024 * 1024) })))
    expect([err.$metadata.httpStatusCode, err.name, err.message]).toEqual([507, 'XMinioStorageFull', STORAGE_FULL])
    expect(blobFiles(fx.dataDir)).toEqual(before)
    expect((await s3error(s3.send(new HeadObjectCommand({ Bucket: 'full', Key: 'big' })))).$metadata.httpStatusCode).toBe(404)
    expect((await bodyBytes(s3.send(new GetObjectCommand({ Bucket: 'full', Key: 'kept' })))).equals(kept)).toBe(true)
    // The operator hears why, at warn: not logged as an internal error.
    expect(logs.entries.some((e) => e.level === 'warn' && /XMinioStorageFull.*ENOSPC/.test(e.msg))).toBe(true)
    expect(logs.entries.filter((e) => e.msg.startsWith('internal error'))).toEqual([])
  })

  it('refuses a metadata write SQLite cannot commit (SQLITE_FULL) with 507 too, never 500', async () => {
    fillDisk(ballast())
    // Empty bodies need no blob data: what fills up is the database (its WAL), page by page.
    let refused: Awaited<ReturnType<typeof s3error>> | undefined
    for (let i = 0; i < 5000 && refused === undefined; i++) {
      try {
        await s3.send(new PutObjectCommand({ Bucket: 'full', Key: `small/${i}`, Body: new Uint8Array(0), Metadata: { pad: 'p'.repeat(1800) } }))
      } catch (err) {
        refused = await s3error(Promise.reject(err))
      }
    }
    expect(refused).toBeDefined()
    expect([refused!.$metadata.httpStatusCode, refused!.name]).toEqual([507, 'XMinioStorageFull'])
    expect(logs.entries.some((e) => e.level === 'warn' && /XMinioStorageFull.*database or disk is full/.test(e.msg))).toBe(true)
    expect(logs.entries.filter((e) => e.msg.startsWith('internal error'))).toEqual([])
  })

  it('still deletes on the full disk (DeleteObject, DeleteObjects, AbortMultipartUpload), freeing the blob files', async () => {
    const before = blobFiles(fx.dataDir).length
    expect((await s3.send(new DeleteObjectCommand({ Bucket: 'full', Key: 'doomed-1' }))).$metadata.httpStatusCode).toBe(204)
    const many = await s3.send(new DeleteObjectsCommand({ Bucket: 'full', Delete: { Objects: [{ Key: 'doomed-2' }] } }))
    expect([many.Errors, many.Deleted?.map((d) => d.Key)]).toEqual([undefined, ['doomed-2']])
    expect((await s3.send(new AbortMultipartUploadCommand({ Bucket: 'full', Key: 'upload', UploadId: uploadId }))).$metadata.httpStatusCode).toBe(204)
    await vi.waitFor(() => expect(blobFiles(fx.dataDir)).toHaveLength(before - 3))
    expect((await s3error(s3.send(new HeadObjectCommand({ Bucket: 'full', Key: 'doomed-1' })))).$metadata.httpStatusCode).toBe(404)
  })

  it('writes again once space is freed, without a restart', async () => {
    rmSync(ballast())
    const body = randomBytes(2 * 1024 * 1024)
    await s3.send(new PutObjectCommand({ Bucket: 'full', Key: 'after', Body: body }))
    expect((await bodyBytes(s3.send(new GetObjectCommand({ Bucket: 'full', Key: 'after' })))).equals(body)).toBe(true)
    expect((await bodyBytes(s3.send(new GetObjectCommand({ Bucket: 'full', Key: 'kept' })))).equals(kept)).toBe(true)
  })
})

const versionedTmpfs = mountTmpfs(24)

describe.skipIf(versionedTmpfs.skip !== undefined)(`a full data directory, versioned bucket${versionedTmpfs.skip !== undefined ? ` (skipped: ${versionedTmpfs.skip})` : ''}`, () => {
  let fx: S3Fixture
  let s3: S3Client
  let versionId: string

  beforeAll(async () => {
    fx = await startS3({ dataDir: versionedTmpfs.dir!, log: recordLog().log })
    s3 = fx.client()
    await s3.send(new CreateBucketCommand({ Bucket: 'kept' }))
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'kept', VersioningConfiguration: { Status: 'Enabled' } }))
    versionId = (await s3.send(new PutObjectCommand({ Bucket: 'kept', Key: 'big', Body: randomBytes(2 * 1024 * 1024) }))).VersionId!
  })
  afterAll(async () => {
    await fx?.close()
    versionedTmpfs.unmount()
  })

  it('does not spend the space reserve on a delete marker, which frees nothing; deleting the version does', async () => {
    fillDisk(join(versionedTmpfs.dir!, 'ballast'))
    // Fill what the database can still take, so that the next row cannot be committed without the reserve.
    for (let i = 0; i < 5000; i++) {
      try {
        await s3.send(new PutObjectCommand({ Bucket: 'kept', Key: `pad/${i}`, Body: new Uint8Array(0), Metadata: { pad: 'p'.repeat(1800) } }))
      } catch {
        break
      }
    }
    const marker = await s3error(s3.send(new DeleteObjectCommand({ Bucket: 'kept', Key: 'big' })))
    expect([marker.$metadata.httpStatusCode, marker.name]).toEqual([507, 'XMinioStorageFull'])
    expect(existsSync(join(fx.dataDir, RESERVE_FILE))).toBe(true)
    await s3.send(new DeleteObjectCommand({ Bucket: 'kept', Key: 'big', VersionId: versionId }))
    expect((await s3error(s3.send(new HeadObjectCommand({ Bucket: 'kept', Key: 'big', VersionId: versionId })))).$metadata.httpStatusCode).toBe(404)
  })
})
