/**
 * The blob collector over a real SQLite database and real files: blobs pinned by long reads must not keep
 * other garbage on disk (it read 1000 garbage rows at a time and skipped the pinned ones, so 1000 pinned
 * rows at the head of the table stopped every other blob from being unlinked), and the collections that
 * every write and release asks for run one at a time without losing a request.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { BlobStore } from '../../../src/s3/storage/blobs.js'
import { openDatabase } from '../../../src/s3/storage/db.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

async function storeWith(count: number) {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-s3-collect-'))
  dirs.push(dir)
  const db = openDatabase(dir)
  const blobs = new BlobStore(dir, db)
  const ids: string[] = []
  for (let i = 0; i < count; i++) {
    const { id, file } = await blobs.create()
    await file.close()
    ids.push(id)
  }
  db.transaction(() => ids.forEach((id) => blobs.adopt(id)))()
  return { db, blobs, ids: ids.sort() }
}

describe('BlobStore.collect', () => {
  it('unlinks garbage past a thousand blobs that readers still hold, and those once released', async () => {
    const { db, blobs, ids } = await storeWith(1010)
    const held = ids.slice(0, 1000) // the first in the table's order: all that a page of 1000 would see
    const release = blobs.pin(held)
    db.transaction(() => blobs.discard(ids))()
    await blobs.collect()
    expect(ids.slice(1000).filter((id) => existsSync(blobs.path(id)))).toEqual([])
    expect(held.every((id) => existsSync(blobs.path(id)))).toBe(true)
    release()
    await blobs.collect()
    expect(ids.filter((id) => existsSync(blobs.path(id)))).toEqual([])
    expect(db.prepare('SELECT count(*) AS n FROM garbage_blobs').get()).toEqual({ n: 0 })
    db.close()
  })

  it('runs one collection at a time, and one asked for during it still happens', async () => {
    const { db, blobs, ids } = await storeWith(40)
    db.transaction(() => blobs.discard(ids.slice(0, 20)))()
    const first = blobs.collect()
    // Discarded while the first pass runs: the pass after it must take them.
    db.transaction(() => blobs.discard(ids.slice(20)))()
    const joined = blobs.collect()
    expect(joined).toBe(first)
    await joined
    expect(ids.filter((id) => existsSync(blobs.path(id)))).toEqual([])
    db.close()
  })
})
