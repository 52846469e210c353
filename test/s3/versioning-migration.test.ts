import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import {
  CreateBucketCommand, GetObjectCommand, ListObjectVersionsCommand, PutBucketVersioningCommand, PutObjectCommand,
} from '@aws-sdk/client-s3'
import { afterAll, describe, expect, it } from 'vitest'
import { DB_FILE } from '../../src/s3/storage/db.js'
import { bodyBytes, startS3 } from '../helpers/s3.js'

const dataDir = mkdtempSync(join(tmpdir(), 'keyhold-s3-vmigrate-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

/** makeOld turns the database back into what keyhold-s3 wrote before versioning: no version_id, no object_versions. */
function makeOld(): void {
  const db = new Database(join(dataDir, DB_FILE))
  db.exec('DROP TABLE object_versions; ALTER TABLE objects DROP COLUMN version_id')
  db.close()
}

describe('objects written before versioning existed', () => {
  it('become null versions that survive enabling versioning; the migration is idempotent', async () => {
    const first = await startS3({ dataDir })
    await first.client().send(new CreateBucketCommand({ Bucket: 'old' }))
    await first.client().send(new PutObjectCommand({ Bucket: 'old', Key: 'legacy', Body: 'written long ago' }))
    await first.close()
    makeOld()
    const second = await startS3({ dataDir })
    let versionId: string | undefined
    try {
      const s3 = second.client()
      const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: 'old' }))
      expect(listed.Versions?.map((v) => [v.Key, v.VersionId, v.IsLatest])).toEqual([['legacy', 'null', true]])
      await s3.send(new PutBucketVersioningCommand({ Bucket: 'old', VersioningConfiguration: { Status: 'Enabled' } }))
      versionId = (await s3.send(new PutObjectCommand({ Bucket: 'old', Key: 'legacy', Body: 'new' }))).VersionId
    } finally {
      await second.close()
    }
    const third = await startS3({ dataDir })
    try {
      const s3 = third.client()
      expect((await bodyBytes(s3.send(new GetObjectCommand({ Bucket: 'old', Key: 'legacy', VersionId: 'null' })))).toString()).toBe('written long ago')
      expect((await bodyBytes(s3.send(new GetObjectCommand({ Bucket: 'old', Key: 'legacy' })))).toString()).toBe('new')
      const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: 'old' }))
      expect(listed.Versions?.map((v) => [v.VersionId, v.IsLatest])).toEqual([[versionId, true], ['null', false]])
    } finally {
      await third.close()
    }
  })
})
