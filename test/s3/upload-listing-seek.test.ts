/**
 * ListMultipartUploads over many uploads of one key: a listing with a delimiter passes over the uploads under a
 * common prefix by one seek, and a page that resumes inside one key's uploads seeks to its marker. Before, every
 * `?uploads&delimiter=/` read all 40,000 uploads of `d/x` (945 ms, the server deaf meanwhile), and every batch
 * scanned the key's uploads again from the first (found by an attack).
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { CreateBucketCommand, CreateMultipartUploadCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { BlobStore } from '../../src/s3/storage/blobs.js'
import { DB_FILE, openDatabase } from '../../src/s3/storage/db.js'
import { UploadStore } from '../../src/s3/storage/uploads.js'
import { startS3, type S3Fixture } from '../helpers/s3.js'

const META = '{"headers":{},"user":{}}'
const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})
afterEach(() => {
  vi.restoreAllMocks()
})

/** Inserts `count` uploads of `key`, three initiated in each millisecond (the id orders those); returns their ids in listing order. */
function insertUploads(db: Database.Database, bucket: string, key: string, count: number): string[] {
  const add = db.prepare('INSERT INTO uploads(id, bucket, key, initiated, meta) VALUES (?, ?, ?, ?, ?)')
  const rows = Array.from({ length: count }, (_, i) => ({ id: randomBytes(12).toString('base64url'), initiated: 1_700_000_000_000 + Math.floor(i / 3) }))
  db.transaction(() => rows.forEach((r) => add.run(r.id, bucket, key, r.initiated, META)))()
  return rows.sort((a, b) => a.initiated - b.initiated || (a.id < b.id ? -1 : 1)).map((r) => r.id)
}

/** Counts the rows UploadStore.list returns (every row a listing reads). */
function countRows(): { rows: number } {
  const counter = { rows: 0 }
  const list = UploadStore.prototype.list
  vi.spyOn(UploadStore.prototype, 'list').mockImplementation(function (this: UploadStore, ...args: Parameters<UploadStore['list']>) {
    const out = list.apply(this, args)
    counter.rows += out.length
    return out
  })
  return counter
}

describe('ListMultipartUploads over 20,000 uploads of one key', () => {
  let fx: S3Fixture
  let sameKey: string[]
  beforeAll(async () => {
    fx = await startS3()
    const s3 = fx.client()
    await s3.send(new CreateBucketCommand({ Bucket: 'uploads-seek' }))
    // Inserted beside the running server (WAL): 20,000 CreateMultipartUpload requests would take a minute.
    const db = new Database(join(fx.dataDir, DB_FILE))
    db.pragma('busy_timeout = 5000')
    sameKey = insertUploads(db, 'uploads-seek', 'd/x', 20_000)
    db.close()
    for (const Key of ['a', 'd/y', 'e/1', 'z']) await s3.send(new CreateMultipartUploadCommand({ Bucket: 'uploads-seek', Key }))
  })
  afterAll(async () => {
    await fx.close()
  })

  it('a delimiter listing seeks past the common prefix: about a batch of rows, not all 20,000', async () => {
    const s3 = fx.client()
    const read = countRows()
    const rolled = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'uploads-seek', Delimiter: '/' }))
    expect(rolled.Uploads?.map((u) => u.Key)).toEqual(['a', 'z'])
    expect(rolled.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['d/', 'e/'])
    expect(rolled.IsTruncated).toBe(false)
    expect(read.rows).toBeLessThanOrEqual(1_010)

    // Resuming after the prefix, as the page that ended in it says to.
    read.rows = 0
    const after = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'uploads-seek', Delimiter: '/', KeyMarker: 'd/' }))
    expect(after.Uploads?.map((u) => u.Key)).toEqual(['z'])
    expect(after.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['e/'])
    expect(read.rows).toBeLessThanOrEqual(1_010)

    // One entry a page: the prefix once, then on past it, each page reading about a batch at most.
    const seen: string[] = []
    let KeyMarker: string | undefined
    let UploadIdMarker: string | undefined
    for (let n = 0; n < 10; n++) {
      read.rows = 0
      const r = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'uploads-seek', Delimiter: '/', MaxUploads: 1, KeyMarker, UploadIdMarker }))
      expect(read.rows).toBeLessThanOrEqual(2_010)
      seen.push(...(r.Uploads ?? []).map((u) => u.Key!), ...(r.CommonPrefixes ?? []).map((p) => p.Prefix!))
      if (r.IsTruncated !== true) break
      KeyMarker = r.NextKeyMarker
      UploadIdMarker = r.NextUploadIdMarker
    }
    expect(seen).toEqual(['a', 'd/', 'e/', 'z'])
  })

  it('pages through every upload once, in (key, initiated, id) order, with the markers as before', async () => {
    const s3 = fx.client()
    const read = countRows()
    const seen: string[] = []
    let KeyMarker: string | undefined
    let UploadIdMarker: string | undefined
    for (let n = 0; n < 30; n++) {
      read.rows = 0
      const r = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'uploads-seek', Prefix: 'd/', KeyMarker, UploadIdMarker }))
      // A batch shown, and the next read to learn whether there is more.
      expect(read.rows).toBeLessThanOrEqual(2_000)
      const page = (r.Uploads ?? []).map((u) => `${u.Key}#${u.UploadId}`)
      seen.push(...page)
      if (r.IsTruncated !== true) break
      expect(page).toHaveLength(1000)
      expect(`${r.NextKeyMarker}#${r.NextUploadIdMarker}`).toBe(page.at(-1))
      KeyMarker = r.NextKeyMarker
      UploadIdMarker = r.NextUploadIdMarker
    }
    expect(seen.slice(0, 20_000)).toEqual(sameKey.map((id) => `d/x#${id}`))
    expect(seen.slice(20_000).map((s) => s.split('#')[0])).toEqual(['d/y'])
    // An upload id marker no longer found lists its key from the first upload.
    const gone = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'uploads-seek', KeyMarker: 'd/x', UploadIdMarker: 'aborted', MaxUploads: 2 }))
    expect(gone.Uploads?.map((u) => u.UploadId)).toEqual(sameKey.slice(0, 2))
    // A key marker without an upload id marker goes on after all of that key's uploads.
    const next = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'uploads-seek', KeyMarker: 'd/x', MaxUploads: 1 }))
    expect(next.Uploads?.map((u) => u.Key)).toEqual(['d/y'])
  })
})

describe('UploadStore.list', () => {
  it('resumes deep inside one key\'s 40,000 uploads as fast as at their first (a seek, not a scan from the prefix)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyhold-s3-uploads-'))
    dirs.push(dir)
    const db = openDatabase(dir)
    try {
      const store = new UploadStore(db, new BlobStore(dir, db))
      const ids = insertUploads(db, 'b', 'd/x', 40_000)
      const deep = { key: 'd/x', id: ids[38_999]! }
      const first = { key: 'd/x', id: ids[0]! }
      expect(store.list('b', 'd/', deep, 1000).map((u) => u.id)).toEqual(ids.slice(39_000))
      expect(store.list('b', '', first, 1000).map((u) => u.id)).toEqual(ids.slice(1, 1001))
      const fastest = (from: { key: string; id: string }): number => {
        let best = Infinity
        for (let i = 0; i < 9; i++) {
          const t0 = performance.now()
          store.list('b', '', from, 1000)
          best = Math.min(best, performance.now() - t0)
        }
        return best
      }
      // The same 1,000 rows either way; scanning from the prefix made the deep page 8 times slower.
      const ratio = fastest(deep) / fastest(first)
      expect(ratio).toBeLessThan(3)
    } finally {
      db.close()
    }
  })
})
