import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BlobStore } from '../../src/s3/storage/blobs.js'
import { openDatabase } from '../../src/s3/storage/db.js'

describe('BlobStore after shutdown', () => {
  it('a reader released after the database closed does not throw (a GET still draining at shutdown)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyhold-s3-blobs-'))
    const db = openDatabase(dir)
    const blobs = new BlobStore(dir, db)
    blobs.retain(['0123abcd'])
    db.close()
    expect(() => blobs.release(['0123abcd'])).not.toThrow()
    await expect(blobs.collect()).resolves.toBeUndefined()
  })
})
