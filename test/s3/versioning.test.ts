import { createHash } from 'node:crypto'
import {
  CompleteMultipartUploadCommand, CopyObjectCommand, CreateBucketCommand, CreateMultipartUploadCommand,
  DeleteBucketCommand, DeleteObjectCommand, DeleteObjectsCommand, GetBucketVersioningCommand, GetObjectCommand,
  HeadObjectCommand, ListObjectsV2Command, ListObjectVersionsCommand, PutBucketVersioningCommand, PutObjectCommand,
  UploadPartCommand, type S3Client,
} from '@aws-sdk/client-s3'
import { describe, expect, it } from 'vitest'
import { bodyBytes, s3error, useS3 } from '../helpers/s3.js'

const fx = useS3({ buckets: ['vers', 'susp', 'paging', 'plain', 'mp-vers'] })
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

async function enable(s3: S3Client, Bucket: string, Status: 'Enabled' | 'Suspended' = 'Enabled'): Promise<void> {
  await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status } }))
}

async function text(s3: S3Client, Bucket: string, Key: string, VersionId?: string): Promise<string> {
  return (await bodyBytes(s3.send(new GetObjectCommand({ Bucket, Key, VersionId })))).toString()
}

/** versions lists a key's versions newest first as [versionId, isLatest, kind]. */
async function versions(s3: S3Client, Bucket: string, Prefix: string): Promise<Array<[string, boolean, 'v' | 'dm']>> {
  const out = await s3.send(new ListObjectVersionsCommand({ Bucket, Prefix }))
  // Versions and markers arrive interleaved on the wire; the SDK splits them, so merge back by time.
  const all = [
    ...(out.Versions ?? []).map((v) => ({ v, kind: 'v' as const })),
    ...(out.DeleteMarkers ?? []).map((v) => ({ v, kind: 'dm' as const })),
  ]
  all.sort((a, b) => (a.v.Key! < b.v.Key! ? -1 : a.v.Key! > b.v.Key! ? 1 : 0) || b.v.LastModified!.getTime() - a.v.LastModified!.getTime())
  return all.map(({ v, kind }) => [v.VersionId!, v.IsLatest!, kind])
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5))

describe('bucket versioning configuration', () => {
  it('is empty until enabled, then Enabled or Suspended; other states are refused with MinIO\'s error', async () => {
    const s3 = fx.client()
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: 'plain' }))).Status).toBeUndefined()
    const bad = await s3error(s3.send(new PutBucketVersioningCommand({ Bucket: 'plain', VersioningConfiguration: { Status: 'Disabled' as 'Enabled' } })))
    expect(bad.name).toBe('IllegalVersioningConfigurationException')
    expect(bad.message).toBe('Versioning configuration specified in the request is invalid. (unsupported Versioning status Disabled)')
    expect(bad.$metadata.httpStatusCode).toBe(400)
    const missing = await s3error(s3.send(new PutBucketVersioningCommand({ Bucket: 'no-such-bucket', VersioningConfiguration: { Status: 'Enabled' } })))
    expect(missing.name).toBe('NoSuchBucket')
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: 'plain' }))).Status).toBeUndefined()
    await enable(s3, 'susp')
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: 'susp' }))).Status).toBe('Enabled')
    await enable(s3, 'susp', 'Suspended')
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: 'susp' }))).Status).toBe('Suspended')
  })
})

describe('versioned objects', () => {
  it('keep every version: null before enabling, UUIDs after; GET/HEAD by versionId; listings show the latest only', async () => {
    const s3 = fx.client()
    await s3.send(new PutObjectCommand({ Bucket: 'vers', Key: 'doc', Body: 'zero' }))
    await enable(s3, 'vers')
    const v1 = await s3.send(new PutObjectCommand({ Bucket: 'vers', Key: 'doc', Body: 'one' }))
    await tick()
    const v2 = await s3.send(new PutObjectCommand({ Bucket: 'vers', Key: 'doc', Body: 'two' }))
    expect(v1.VersionId).toMatch(UUID)
    expect(v2.VersionId).toMatch(UUID)
    expect(v1.VersionId).not.toBe(v2.VersionId)
    expect(await text(s3, 'vers', 'doc')).toBe('two')
    expect(await text(s3, 'vers', 'doc', v1.VersionId)).toBe('one')
    expect(await text(s3, 'vers', 'doc', 'null')).toBe('zero')
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'vers', Key: 'doc', VersionId: v1.VersionId }))
    expect(head.VersionId).toBe(v1.VersionId)
    expect(head.ContentLength).toBe(3)
    expect(await versions(s3, 'vers', 'doc')).toEqual([[v2.VersionId, true, 'v'], [v1.VersionId, false, 'v'], ['null', false, 'v']])
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'vers', Prefix: 'doc' }))
    expect(listed.Contents?.map((c) => [c.Key, c.Size])).toEqual([['doc', 3]])
    // A version id that is no UUID is refused as MinIO does; an unknown one does not exist.
    const bad = await s3error(s3.send(new GetObjectCommand({ Bucket: 'vers', Key: 'doc', VersionId: 'v1' })))
    expect([bad.name, bad.message, bad.$metadata.httpStatusCode]).toEqual(['InvalidArgument', 'Invalid version id specified', 400])
    const unknown = await s3error(s3.send(new GetObjectCommand({ Bucket: 'vers', Key: 'doc', VersionId: '00000000-0000-4000-8000-000000000000' })))
    expect(unknown.name).toBe('NoSuchVersion')
  })

  it('DELETE adds a delete marker: latest is 404 with x-amz-delete-marker, the marker by id is 405; removing it restores', async () => {
    const s3 = fx.client()
    const kept = await s3.send(new PutObjectCommand({ Bucket: 'vers', Key: 'gone', Body: 'kept' }))
    await tick()
    const del = await s3.send(new DeleteObjectCommand({ Bucket: 'vers', Key: 'gone' }))
    expect(del.DeleteMarker).toBe(true)
    expect(del.VersionId).toMatch(UUID)
    const latest = await s3error(s3.send(new GetObjectCommand({ Bucket: 'vers', Key: 'gone' })))
    expect([latest.name, latest.$metadata.httpStatusCode]).toEqual(['NoSuchKey', 404])
    expect(latest.$response?.headers['x-amz-delete-marker']).toBe('true')
    expect(latest.$response?.headers['x-amz-version-id']).toBe(del.VersionId)
    const marker = await s3error(s3.send(new GetObjectCommand({ Bucket: 'vers', Key: 'gone', VersionId: del.VersionId })))
    expect([marker.name, marker.$metadata.httpStatusCode]).toEqual(['MethodNotAllowed', 405])
    expect(marker.$response?.headers['x-amz-delete-marker']).toBe('true')
    const headMarker = await s3error(s3.send(new HeadObjectCommand({ Bucket: 'vers', Key: 'gone', VersionId: del.VersionId })))
    expect(headMarker.$metadata.httpStatusCode).toBe(405)
    expect(await text(s3, 'vers', 'gone', kept.VersionId)).toBe('kept')
    expect((await s3.send(new ListObjectsV2Command({ Bucket: 'vers', Prefix: 'gone' }))).KeyCount).toBe(0)
    expect(await versions(s3, 'vers', 'gone')).toEqual([[del.VersionId, true, 'dm'], [kept.VersionId, false, 'v']])
    const undo = await s3.send(new DeleteObjectCommand({ Bucket: 'vers', Key: 'gone', VersionId: del.VersionId }))
    expect([undo.DeleteMarker, undo.VersionId]).toEqual([true, del.VersionId])
    expect(await text(s3, 'vers', 'gone')).toBe('kept')
    expect((await s3.send(new ListObjectsV2Command({ Bucket: 'vers', Prefix: 'gone' }))).KeyCount).toBe(1)
  })

  it('deleting the current version by id makes the previous one current; unknown ids answer 204', async () => {
    const s3 = fx.client()
    const a = await s3.send(new PutObjectCommand({ Bucket: 'vers', Key: 'stack', Body: 'a' }))
    await tick()
    const b = await s3.send(new PutObjectCommand({ Bucket: 'vers', Key: 'stack', Body: 'b' }))
    const gone = await s3.send(new DeleteObjectCommand({ Bucket: 'vers', Key: 'stack', VersionId: b.VersionId }))
    expect([gone.VersionId, gone.DeleteMarker]).toEqual([b.VersionId, undefined])
    expect(await text(s3, 'vers', 'stack')).toBe('a')
    expect(await versions(s3, 'vers', 'stack')).toEqual([[a.VersionId, true, 'v']])
    const again = await s3.send(new DeleteObjectCommand({ Bucket: 'vers', Key: 'stack', VersionId: b.VersionId }))
    expect(again.$metadata.httpStatusCode).toBe(204)
    expect(await text(s3, 'vers', 'stack')).toBe('a')
  })

  it('copies a named version (onto its own key too) and answers both version ids', async () => {
    const s3 = fx.client()
    const old = await s3.send(new PutObjectCommand({ Bucket: 'vers', Key: 'cp', Body: 'old' }))
    await tick()
    await s3.send(new PutObjectCommand({ Bucket: 'vers', Key: 'cp', Body: 'new' }))
    const restored = await s3.send(new CopyObjectCommand({ Bucket: 'vers', Key: 'cp', CopySource: `vers/cp?versionId=${old.VersionId}` }))
    expect(restored.CopySourceVersionId).toBe(old.VersionId)
    expect(restored.VersionId).toMatch(UUID)
    expect(await text(s3, 'vers', 'cp')).toBe('old')
    expect((await versions(s3, 'vers', 'cp')).length).toBe(3)
    const other = await s3.send(new CopyObjectCommand({ Bucket: 'plain', Key: 'from-vers', CopySource: `vers/doc?versionId=null` }))
    expect(other.VersionId).toBeUndefined()
    expect(await text(s3, 'plain', 'from-vers')).toBe('zero')
    const marker = await s3.send(new DeleteObjectCommand({ Bucket: 'vers', Key: 'cp' }))
    const fromMarker = await s3error(s3.send(new CopyObjectCommand({ Bucket: 'plain', Key: 'x', CopySource: `vers/cp?versionId=${marker.VersionId}` })))
    expect(fromMarker.$metadata.httpStatusCode).toBe(405)
    const fromDeleted = await s3error(s3.send(new CopyObjectCommand({ Bucket: 'plain', Key: 'x', CopySource: 'vers/cp' })))
    expect(fromDeleted.name).toBe('NoSuchKey')
  })

  it('a completed multipart upload is a new version', async () => {
    const s3 = fx.client()
    await enable(s3, 'mp-vers')
    const first = await s3.send(new PutObjectCommand({ Bucket: 'mp-vers', Key: 'big', Body: 'small first' }))
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'mp-vers', Key: 'big' }))
    const part = await s3.send(new UploadPartCommand({ Bucket: 'mp-vers', Key: 'big', UploadId, PartNumber: 1, Body: 'only part' }))
    const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'mp-vers', Key: 'big', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }))
    expect(done.VersionId).toMatch(UUID)
    expect(await text(s3, 'mp-vers', 'big')).toBe('only part')
    expect(await text(s3, 'mp-vers', 'big', first.VersionId)).toBe('small first')
    // Versions keep a bucket from being empty; once all are gone it can be deleted.
    expect((await s3error(s3.send(new DeleteBucketCommand({ Bucket: 'mp-vers' })))).name).toBe('BucketNotEmpty')
    const dm = await s3.send(new DeleteObjectCommand({ Bucket: 'mp-vers', Key: 'big' }))
    await s3.send(new DeleteObjectsCommand({
      Bucket: 'mp-vers',
      Delete: { Objects: [first.VersionId!, done.VersionId!].map((VersionId) => ({ Key: 'big', VersionId })) },
    }))
    expect((await s3error(s3.send(new DeleteBucketCommand({ Bucket: 'mp-vers' })))).name).toBe('BucketNotEmpty')
    await s3.send(new DeleteObjectCommand({ Bucket: 'mp-vers', Key: 'big', VersionId: dm.VersionId }))
    await s3.send(new DeleteBucketCommand({ Bucket: 'mp-vers' }))
  })

  it('suspended: writes and deletes replace the single null version and keep the others', async () => {
    const s3 = fx.client()
    await s3.send(new CreateBucketCommand({ Bucket: 'susp2' }))
    await s3.send(new PutObjectCommand({ Bucket: 'susp2', Key: 'k', Body: 'null-1' }))
    await enable(s3, 'susp2')
    const real = await s3.send(new PutObjectCommand({ Bucket: 'susp2', Key: 'k', Body: 'real' }))
    await enable(s3, 'susp2', 'Suspended')
    await tick()
    const put = await s3.send(new PutObjectCommand({ Bucket: 'susp2', Key: 'k', Body: 'null-2' }))
    expect(put.VersionId).toBeUndefined()
    expect(await versions(s3, 'susp2', 'k')).toEqual([['null', true, 'v'], [real.VersionId, false, 'v']])
    expect(await text(s3, 'susp2', 'k', 'null')).toBe('null-2')
    await tick()
    const del = await s3.send(new DeleteObjectCommand({ Bucket: 'susp2', Key: 'k' }))
    expect(del.VersionId).toBeUndefined()
    expect(await versions(s3, 'susp2', 'k')).toEqual([['null', true, 'dm'], [real.VersionId, false, 'v']])
    expect((await s3error(s3.send(new GetObjectCommand({ Bucket: 'susp2', Key: 'k' })))).name).toBe('NoSuchKey')
    expect(await text(s3, 'susp2', 'k', real.VersionId)).toBe('real')
  })

  it('DeleteObjects with version ids: markers, permanent deletes, and MinIO\'s error for a bad id', async () => {
    const s3 = fx.client()
    const x = await s3.send(new PutObjectCommand({ Bucket: 'vers', Key: 'multi/x', Body: 'x' }))
    await s3.send(new PutObjectCommand({ Bucket: 'vers', Key: 'multi/y', Body: 'y' }))
    const out = await s3.send(new DeleteObjectsCommand({
      Bucket: 'vers',
      Delete: { Objects: [{ Key: 'multi/x', VersionId: x.VersionId }, { Key: 'multi/y' }, { Key: 'multi/z', VersionId: 'nope' }] },
    }))
    const byKey = new Map((out.Deleted ?? []).map((d) => [d.Key, d]))
    expect(byKey.get('multi/x')).toEqual({ Key: 'multi/x', VersionId: x.VersionId })
    expect(byKey.get('multi/y')?.DeleteMarker).toBe(true)
    expect(byKey.get('multi/y')?.DeleteMarkerVersionId).toMatch(UUID)
    expect(out.Errors).toEqual([{ Key: 'multi/z', VersionId: 'nope', Code: 'NoSuchVersion', Message: 'The specified version does not exist. (invalid UUID length: 4)' }])
    expect(await versions(s3, 'vers', 'multi/')).toEqual([[byKey.get('multi/y')!.DeleteMarkerVersionId, true, 'dm'], [expect.stringMatching(UUID), false, 'v']])
  })
})

describe('ListObjectVersions', () => {
  it('pages through versions and markers with key-marker/version-id-marker, and rolls up prefixes', async () => {
    const s3 = fx.client()
    await enable(s3, 'paging')
    const expected: string[] = []
    for (const key of ['a', 'b', 'dir/one', 'dir/two']) {
      const ids: string[] = []
      for (let i = 0; i < 3; i++) {
        ids.push((await s3.send(new PutObjectCommand({ Bucket: 'paging', Key: key, Body: `${key}${i}` }))).VersionId!)
        await tick()
      }
      if (key === 'b') ids.push((await s3.send(new DeleteObjectCommand({ Bucket: 'paging', Key: key }))).VersionId!)
      expected.push(...ids.reverse().map((id) => `${key}@${id}`))
    }
    const seen: string[] = []
    let KeyMarker: string | undefined
    let VersionIdMarker: string | undefined
    for (let pages = 0; pages < 20; pages++) {
      const page = await s3.send(new ListObjectVersionsCommand({ Bucket: 'paging', MaxKeys: 2, KeyMarker, VersionIdMarker }))
      const entries = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]
      expect(entries.length).toBeLessThanOrEqual(2)
      const ids = new Set(entries.map((e) => `${e.Key}@${e.VersionId}`))
      // Within a page, keep the server's order (newest first): take them from expected order.
      seen.push(...expected.filter((e) => ids.has(e)))
      if (page.IsTruncated !== true) break
      KeyMarker = page.NextKeyMarker
      VersionIdMarker = page.NextVersionIdMarker
    }
    expect(seen).toEqual(expected)
    const rolled = await s3.send(new ListObjectVersionsCommand({ Bucket: 'paging', Delimiter: '/' }))
    expect(rolled.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['dir/'])
    expect(rolled.Versions?.length).toBe(6)
    expect(rolled.DeleteMarkers?.map((d) => [d.Key, d.IsLatest])).toEqual([['b', true]])
    const under = await s3.send(new ListObjectVersionsCommand({ Bucket: 'paging', Prefix: 'dir/t' }))
    expect(under.Versions?.map((v) => [v.Key, v.IsLatest])).toEqual([['dir/two', true], ['dir/two', false], ['dir/two', false]])
    const current = await s3.send(new ListObjectsV2Command({ Bucket: 'paging' }))
    expect(current.Contents?.map((c) => c.Key)).toEqual(['a', 'dir/one', 'dir/two'])
    const etag = createHash('md5').update('a2').digest('hex')
    expect(under.Versions?.[0]?.ETag).toBe(`"${createHash('md5').update('dir/two2').digest('hex')}"`)
    expect((await s3.send(new HeadObjectCommand({ Bucket: 'paging', Key: 'a' }))).ETag).toBe(`"${etag}"`)
  })
})

describe('unversioned buckets', () => {
  it('keep their behaviour: one null version, no version headers, deletes remove', async () => {
    const s3 = fx.client()
    const put = await s3.send(new PutObjectCommand({ Bucket: 'plain', Key: 'p', Body: '1' }))
    expect(put.VersionId).toBeUndefined()
    await s3.send(new PutObjectCommand({ Bucket: 'plain', Key: 'p', Body: '2' }))
    expect(await versions(s3, 'plain', 'p')).toEqual([['null', true, 'v']])
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'plain', Key: 'p' }))
    expect(head.VersionId).toBeUndefined()
    const other = await s3.send(new DeleteObjectCommand({ Bucket: 'plain', Key: 'p', VersionId: '00000000-0000-4000-8000-000000000000' }))
    expect(other.$metadata.httpStatusCode).toBe(204)
    expect(await text(s3, 'plain', 'p')).toBe('2')
    const del = await s3.send(new DeleteObjectCommand({ Bucket: 'plain', Key: 'p' }))
    expect(del.DeleteMarker).toBeUndefined()
    expect(await versions(s3, 'plain', 'p')).toEqual([])
  })
})
