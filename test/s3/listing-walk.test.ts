/**
 * The key walk behind listings, attacked (found by a limits attack): a key that continues with U+10FFFF after its
 * delimiter sent every delimiter listing round forever, and a listing of many small folders read a whole batch
 * of rows per folder, blocking the server for seconds. Now every listing ends, and reads about the rows it shows.
 */
import {
  ListObjectsV2Command, ListObjectVersionsCommand, PutBucketVersioningCommand, PutObjectCommand,
} from '@aws-sdk/client-s3'
import { describe, expect, it } from 'vitest'
import { pastPrefix, walkKeys } from '../../src/s3/handlers/list-walk.js'
import type { MetaStore, ObjectRow } from '../../src/s3/storage/meta.js'
import { useS3 } from '../helpers/s3.js'

const fx = useS3({ buckets: ['walk'] })

/** A MetaStore over sorted keys (ASCII, so JavaScript's order is the index's) that counts the rows it hands out. */
function countingMeta(keys: string[]): { meta: MetaStore; read: () => number } {
  const sorted = [...keys].sort()
  let read = 0
  const listKeys = (_bucket: string, after: string, prefix: string, limit: number, inclusive = false): ObjectRow[] => {
    const from = after >= prefix ? after : prefix
    const start = sorted.findIndex((k) => (after >= prefix ? (inclusive ? k >= from : k > from) : k >= prefix))
    const rows = (start < 0 ? [] : sorted.slice(start, start + limit)).map((key) => ({ key }) as ObjectRow)
    read += rows.length
    return rows
  }
  return { meta: { listKeys } as unknown as MetaStore, read: () => read }
}

describe('the key walk', () => {
  it('a listing of 3,000 one-object folders reads each row once', () => {
    const keys = Array.from({ length: 3000 }, (_, i) => `f${String(i).padStart(5, '0')}/x`)
    const { meta, read } = countingMeta(keys)
    const walk = walkKeys(meta, 'b', '', '/', '', 1000)
    expect(walk.entries).toHaveLength(1000)
    expect(walk.truncated).toBe(true)
    expect(read()).toBeLessThanOrEqual(2000)
  })

  it('a folder larger than a batch is passed over by one seek, and what follows it is listed', () => {
    const keys = [...Array.from({ length: 5000 }, (_, i) => `a/${String(i).padStart(5, '0')}`), 'b', 'c/1']
    const { meta, read } = countingMeta(keys)
    const walk = walkKeys(meta, 'b', '', '/', '', 1000)
    expect(walk.entries.map((e) => (e.kind === 'prefix' ? e.prefix : e.row.key))).toEqual(['a/', 'b', 'c/'])
    expect(read()).toBeLessThanOrEqual(1003)
  })

  it('pastPrefix sorts after every key under the prefix and before the next one', () => {
    expect(pastPrefix('a/')).toBe('a0')
    expect(pastPrefix('a\u{D7FF}')).toBe('a\u{E000}')
    expect(pastPrefix('a\u{10FFFF}')).toBeUndefined()
    expect(pastPrefix('')).toBeUndefined()
  })
})

describe('a key continuing with U+10FFFF after its delimiter', () => {
  it('every delimiter listing ends, objects and versions alike', async () => {
    const s3 = fx.client()
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'walk', VersioningConfiguration: { Status: 'Enabled' } }))
    for (const Key of ['a/\u{10FFFF}z', 'a/b', 'b', 'c/\u{10FFFF}/d']) await s3.send(new PutObjectCommand({ Bucket: 'walk', Key, Body: 'x' }))
    const abortSignal = AbortSignal.timeout(10_000)
    const v2 = await s3.send(new ListObjectsV2Command({ Bucket: 'walk', Delimiter: '/' }), { abortSignal })
    expect([v2.CommonPrefixes?.map((p) => p.Prefix), v2.Contents?.map((c) => c.Key)]).toEqual([['a/', 'c/'], ['b']])
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: 'walk', Delimiter: '/' }), { abortSignal })
    expect([versions.CommonPrefixes?.map((p) => p.Prefix), versions.Versions?.map((c) => c.Key)]).toEqual([['a/', 'c/'], ['b']])
    // A delimiter ending in U+10FFFF has no successor: the walk goes on row by row, and still ends.
    const odd = await s3.send(new ListObjectsV2Command({ Bucket: 'walk', Delimiter: '\u{10FFFF}' }), { abortSignal })
    expect([odd.CommonPrefixes?.map((p) => p.Prefix), odd.Contents?.map((c) => c.Key)]).toEqual([['a/\u{10FFFF}', 'c/\u{10FFFF}'], ['a/b', 'b']])
  })
})
