/**
 * The object lock store on a real SQLite database: a lock is decided and changed in the transaction that
 * writes the row, so a stale copy of a version (read before a hold was set) can neither delete it nor, through
 * a tag update, write the hold away; and the removal rules at the edges of a retention period.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BlobStore } from '../../src/s3/storage/blobs.js'
import { openDatabase, type DB } from '../../src/s3/storage/db.js'
import { MetaStore, type ObjectRow } from '../../src/s3/storage/meta.js'
import { putObjectVersion } from '../../src/s3/storage/put-version.js'
import {
  createLockedBucket, defaultUntil, deleteVersionUnlessLocked, removalBlock, updateVersionLock,
} from '../../src/s3/storage/object-lock.js'
import { setObjectTags } from '../../src/s3/storage/tags.js'
import { getVersion } from '../../src/s3/storage/versions.js'

let dir: string
let db: DB
let meta: MetaStore

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'keyhold-s3-lock-store-'))
  db = openDatabase(dir)
  meta = new MetaStore(db, new BlobStore(dir, db))
})
afterEach(() => {
  db.close()
  rmSync(dir, { recursive: true, force: true })
})

function putVersion(key: string): ObjectRow {
  const row: ObjectRow = {
    bucket: 'b', key, id: `id-${key}-${Math.random()}`, size: 0, storedSize: 0, etag: 'e', mtime: Date.now(),
    multipart: false, meta: { headers: {}, user: {} }, checksum: null, internal: undefined,
  }
  const versionId = putObjectVersion(meta, row, [])
  expect(versionId).not.toBe(false)
  return { ...row, versionId: versionId as string }
}

describe('object lock store', () => {
  it('a lock bucket is created with versioning enabled, once', () => {
    expect(createLockedBucket(meta, 'b')).toBe(true)
    expect(createLockedBucket(meta, 'b')).toBe(false)
    expect(meta.get('b', 'versioning')).toBe('Enabled')
  })

  it('a hold set after a version was read still stops its delete and survives a stale tag update', () => {
    createLockedBucket(meta, 'b')
    const stale = putVersion('k')
    expect(updateVersionLock(meta, stale.id, () => ({ legalHold: 'ON' }))).toBe(true)
    // The tag update starts from the copy read before the hold: the hold must stay.
    expect(setObjectTags(meta, stale, [['t', 'v']])).toBe(true)
    const now = getVersion(meta, 'b', 'k', stale.versionId!)!
    expect(now.meta.lock).toEqual({ legalHold: 'ON' })
    expect(now.meta.tags).toBeDefined()
    expect(deleteVersionUnlessLocked(meta, 'b', 'k', stale.versionId!, true, true)).toBe('locked')
    expect(getVersion(meta, 'b', 'k', stale.versionId!)).toBeDefined()
    updateVersionLock(meta, stale.id, (l) => ({ ...l, legalHold: 'OFF' }))
    expect(deleteVersionUnlessLocked(meta, 'b', 'k', stale.versionId!, false, false)).toMatchObject({ versionId: stale.versionId })
  })

  it('a refused lock change writes nothing', () => {
    createLockedBucket(meta, 'b')
    const v = putVersion('k')
    updateVersionLock(meta, v.id, () => ({ mode: 'COMPLIANCE', until: Date.now() + 60_000 }))
    expect(() => updateVersionLock(meta, v.id, () => {
      throw new Error('refused')
    })).toThrow('refused')
    expect(getVersion(meta, 'b', 'k', v.versionId!)!.meta.lock?.mode).toBe('COMPLIANCE')
  })

  it('retention holds up to and including its date; governance yields only to a granted bypass', () => {
    const now = Date.now()
    const gov = { mode: 'GOVERNANCE' as const, until: now }
    expect(removalBlock(gov, now, false)).toBe('locked')
    expect(removalBlock(gov, now, true)).toBe('bypass')
    expect(removalBlock(gov, now + 1, false)).toBeUndefined()
    expect(removalBlock({ mode: 'COMPLIANCE', until: now }, now, true)).toBe('locked')
    expect(removalBlock({ mode: 'COMPLIANCE', until: now - 1, legalHold: 'ON' }, now, true)).toBe('locked')
    expect(removalBlock(undefined, now, false)).toBeUndefined()
    createLockedBucket(meta, 'b')
    const v = putVersion('g')
    updateVersionLock(meta, v.id, () => ({ mode: 'GOVERNANCE', until: Date.now() + 60_000 }))
    expect(deleteVersionUnlessLocked(meta, 'b', 'g', v.versionId!, true, false)).toBe('bypass')
    expect(deleteVersionUnlessLocked(meta, 'b', 'g', v.versionId!, true, true)).toMatchObject({ versionId: v.versionId })
  })

  it('default periods: days are exact, years are calendar years', () => {
    const at = Date.UTC(2024, 1, 29, 12)
    expect(defaultUntil({ mode: 'GOVERNANCE', days: 2 }, at)).toBe(at + 2 * 86_400_000)
    expect(new Date(defaultUntil({ mode: 'GOVERNANCE', years: 1 }, at)).toISOString()).toBe('2025-03-01T12:00:00.000Z')
  })
})
