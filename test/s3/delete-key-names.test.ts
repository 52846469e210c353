/**
 * A delete may not plant a key no write may store (found by an attack): in a versioned bucket a DeleteObject
 * writes a delete marker, so a megabyte-long key or a path alias of another key was stored past every write's
 * checks. Such keys are refused (as MinIO's checkDelObjArgs does), unless something is stored under them already.
 */
import {
  CreateBucketCommand, DeleteObjectCommand, DeleteObjectsCommand, ListObjectVersionsCommand, PutBucketVersioningCommand,
} from '@aws-sdk/client-s3'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { s3error, useS3 } from '../helpers/s3.js'

const fx = useS3()
const BAD = ['a//b', '../etc', '/lead', 'a/./b', 'k'.repeat(1025)]

describe('delete and key names', () => {
  it('DeleteObject and DeleteObjects refuse keys no write may store, and no marker is left', async () => {
    const s3 = fx.client()
    await s3.send(new CreateBucketCommand({ Bucket: 'marks' }))
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'marks', VersioningConfiguration: { Status: 'Enabled' } }))
    for (const Key of BAD) {
      const err = await s3error(s3.send(new DeleteObjectCommand({ Bucket: 'marks', Key })))
      expect([err.$metadata.httpStatusCode, err.name], Key.slice(0, 20)).toEqual([400, Key.length > 1024 ? 'KeyTooLongError' : 'InvalidObjectName'])
    }
    const many = await s3.send(new DeleteObjectsCommand({ Bucket: 'marks', Delete: { Objects: BAD.map((Key) => ({ Key })) } }))
    expect(many.Deleted ?? []).toEqual([])
    expect(many.Errors?.map((e) => e.Code)).toEqual(['InvalidObjectName', 'InvalidObjectName', 'InvalidObjectName', 'InvalidObjectName', 'KeyTooLongError'])
    const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: 'marks' }))
    expect([listed.Versions ?? [], listed.DeleteMarkers ?? []]).toEqual([[], []])
  })

  it('a key stored before the names were checked can still be deleted', async () => {
    const s3 = fx.client()
    await s3.send(new CreateBucketCommand({ Bucket: 'legacy' }))
    // What an older keyhold-s3 stored: written here below the API, as it would be found on disk.
    const db = new Database(join(fx.dataDir, 'keyhold-s3.db'))
    db.prepare(`INSERT INTO objects(bucket, key, id, size, stored_size, etag, mtime, multipart, meta, checksum, internal, version_id)
      VALUES ('legacy', 'a//old', 'legacy-id', 0, 0, 'd41d8cd98f00b204e9800998ecf8427e', 0, 0, '{}', NULL, NULL, 'null')`).run()
    db.close()
    await s3.send(new DeleteObjectCommand({ Bucket: 'legacy', Key: 'a//old' }))
    const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: 'legacy' }))
    expect(listed.Versions ?? []).toEqual([])
  })
})
