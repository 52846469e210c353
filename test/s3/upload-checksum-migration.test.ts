import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import {
  CompleteMultipartUploadCommand, CreateMultipartUploadCommand, ListPartsCommand, UploadPartCommand,
} from '@aws-sdk/client-s3'
import { afterAll, describe, expect, it } from 'vitest'
import { DB_FILE } from '../../src/s3/storage/db.js'
import { startS3 } from '../helpers/s3.js'

const dataDir = mkdtempSync(join(tmpdir(), 'keyhold-s3-migrate-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

/** A database as keyhold-s3 wrote it before uploads had checksum_type, with two uploads in progress. */
function writeOldDatabase(): void {
  const db = new Database(join(dataDir, DB_FILE))
  db.exec(`
    CREATE TABLE buckets(name TEXT PRIMARY KEY, created INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE uploads(
      id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key TEXT NOT NULL, initiated INTEGER NOT NULL,
      meta TEXT NOT NULL, checksum_algorithm TEXT, internal TEXT) WITHOUT ROWID;`)
  db.prepare('INSERT INTO buckets VALUES (?, ?)').run('old', Date.now())
  const add = db.prepare('INSERT INTO uploads VALUES (?, ?, ?, ?, ?, ?, NULL)')
  add.run('up-crc64', 'old', 'crc64', Date.now(), '{"headers":{},"user":{}}', 'CRC64NVME')
  add.run('up-crc32', 'old', 'crc32', Date.now(), '{"headers":{},"user":{}}', 'CRC32')
  db.close()
}

describe('uploads begun before checksum types were stored', () => {
  it('read as their algorithm\'s default type and complete as before; the migration is idempotent', async () => {
    writeOldDatabase()
    const first = await startS3({ dataDir })
    try {
      const s3 = first.client()
      const types = await Promise.all(['crc64', 'crc32'].map(async (Key) => {
        const listed = await s3.send(new ListPartsCommand({ Bucket: 'old', Key, UploadId: `up-${Key}` }))
        return [listed.ChecksumAlgorithm, listed.ChecksumType]
      }))
      expect(types).toEqual([['CRC64NVME', 'FULL_OBJECT'], ['CRC32', 'COMPOSITE']])
      const part = await s3.send(new UploadPartCommand({ Bucket: 'old', Key: 'crc32', UploadId: 'up-crc32', PartNumber: 1, Body: randomBytes(999), ChecksumAlgorithm: 'CRC32' }))
      const done = await s3.send(new CompleteMultipartUploadCommand({
        Bucket: 'old', Key: 'crc32', UploadId: 'up-crc32',
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag, ChecksumCRC32: part.ChecksumCRC32 }] },
      }))
      expect(done.ChecksumType).toBe('COMPOSITE')
      expect(done.ChecksumCRC32).toMatch(/-1$/)
    } finally {
      await first.close()
    }
    // Opening the migrated database again changes nothing and keeps the remaining upload.
    const again = await startS3({ dataDir })
    try {
      const s3 = again.client()
      const listed = await s3.send(new ListPartsCommand({ Bucket: 'old', Key: 'crc64', UploadId: 'up-crc64' }))
      expect(listed.ChecksumType).toBe('FULL_OBJECT')
      // New uploads in the migrated table store their type.
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'old', Key: 'new', ChecksumAlgorithm: 'CRC32C', ChecksumType: 'FULL_OBJECT' }))
      expect((await s3.send(new ListPartsCommand({ Bucket: 'old', Key: 'new', UploadId }))).ChecksumType).toBe('FULL_OBJECT')
    } finally {
      await again.close()
    }
    const db = new Database(join(dataDir, DB_FILE), { readonly: true })
    const columns = (db.pragma('table_info(uploads)') as Array<{ name: string }>).map((c) => c.name)
    db.close()
    expect(columns.filter((c) => c === 'checksum_type')).toHaveLength(1)
  })
})
