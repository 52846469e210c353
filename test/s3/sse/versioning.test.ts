/**
 * Per-version SSE with a real Keyhold: each version of a key is sealed under its own object key and keeps its
 * own encryption (SSE-S3, SSE-KMS, SSE-C, none), readable by version id; a named SSE-C version copies with its
 * copy-source key.
 */
import { createHash, randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import {
  CopyObjectCommand, CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListObjectVersionsCommand,
  PutBucketVersioningCommand, PutObjectCommand,
} from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bodyBytes, s3error } from '../../helpers/s3.js'
import { startKeyhold, type Keyhold } from './keyhold.js'
import { kesEnv, startStore, type Store } from './s3-helper.js'

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex')
const ssec = (key: Buffer) => ({ SSECustomerAlgorithm: 'AES256', SSECustomerKey: key.toString('base64'), SSECustomerKeyMD5: createHash('md5').update(key).digest('base64') })

function blobFiles(dir: string): string[] {
  return readdirSync(join(dir, 'blobs')).flatMap((d) => readdirSync(join(dir, 'blobs', d)).map((f) => join(dir, 'blobs', d, f)))
}

describe('versions of encrypted objects', () => {
  let kh: Keyhold
  let store: Store
  beforeAll(async () => {
    kh = await startKeyhold()
    store = await startStore(kesEnv(kh))
    await store.client.send(new CreateBucketCommand({ Bucket: 'venc' }))
    await store.client.send(new PutBucketVersioningCommand({ Bucket: 'venc', VersioningConfiguration: { Status: 'Enabled' } }))
  })
  afterAll(async () => {
    await store?.close()
    await kh?.stop()
  })

  it('each version keeps its own sealed key and encryption, and reads back by version id', async () => {
    const c = store.client
    const customer = randomBytes(32)
    const data = [randomBytes(70_000), randomBytes(80_000), randomBytes(90_000), randomBytes(1000)]
    const s3v = await c.send(new PutObjectCommand({ Bucket: 'venc', Key: 'k', Body: data[0], ServerSideEncryption: 'AES256' }))
    const kms = await c.send(new PutObjectCommand({ Bucket: 'venc', Key: 'k', Body: data[1], ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'minio-default' }))
    const cv = await c.send(new PutObjectCommand({ Bucket: 'venc', Key: 'k', Body: data[2], ...ssec(customer) }))
    const plain = await c.send(new PutObjectCommand({ Bucket: 'venc', Key: 'k', Body: data[3] }))
    const ids = [s3v, kms, cv, plain].map((r) => r.VersionId!)
    expect(new Set(ids).size).toBe(4)

    const head = async (VersionId: string, extra = {}) => c.send(new HeadObjectCommand({ Bucket: 'venc', Key: 'k', VersionId, ...extra }))
    expect((await head(ids[0]!)).ServerSideEncryption).toBe('AES256')
    expect((await head(ids[0]!)).ETag).toBe(`"${md5(data[0]!)}"`)
    expect([(await head(ids[1]!)).ServerSideEncryption, (await head(ids[1]!)).SSEKMSKeyId]).toEqual(['aws:kms', 'arn:aws:kms:minio-default'])
    expect((await head(ids[2]!, ssec(customer))).SSECustomerAlgorithm).toBe('AES256')
    expect((await head(ids[3]!)).ServerSideEncryption).toBeUndefined()
    const get = (VersionId: string, extra = {}) => bodyBytes(c.send(new GetObjectCommand({ Bucket: 'venc', Key: 'k', VersionId, ...extra })))
    expect((await get(ids[0]!)).equals(data[0]!)).toBe(true)
    expect((await get(ids[1]!)).equals(data[1]!)).toBe(true)
    expect((await get(ids[2]!, ssec(customer))).equals(data[2]!)).toBe(true)
    expect((await get(ids[3]!)).equals(data[3]!)).toBe(true)
    // The SSE-C version needs its key; another customer key is refused.
    expect((await s3error(get(ids[2]!))).$metadata.httpStatusCode).toBe(400)
    expect((await s3error(get(ids[2]!, ssec(randomBytes(32))))).$metadata.httpStatusCode).toBe(403)
    // Listings show the SSE-S3 version's MD5, never its sealed stored ETag.
    const listed = await c.send(new ListObjectVersionsCommand({ Bucket: 'venc', Prefix: 'k' }))
    expect(listed.Versions?.find((v) => v.VersionId === ids[0])?.ETag).toBe(`"${md5(data[0]!)}"`)

    // One sealed object key per version: no two versions share key material, and no plaintext is on disk.
    const db = new Database(join(store.dataDir, 'keyhold-s3.db'), { readonly: true })
    const internals = (db.prepare(`SELECT internal FROM objects WHERE bucket = 'venc' AND key = 'k'
      UNION ALL SELECT internal FROM object_versions WHERE bucket = 'venc' AND key = 'k'`).all() as Array<{ internal: string | null }>)
    db.close()
    const sealed = internals.map((r) => r.internal).filter((i): i is string => i !== null)
    expect(sealed).toHaveLength(3)
    expect(new Set(sealed).size).toBe(3)
    const disk = blobFiles(store.dataDir).map((f) => readFileSync(f))
    for (const d of data.slice(0, 3)) expect(disk.some((b) => b.includes(d.subarray(0, 64)))).toBe(false)
  })

  it('copies a named SSE-C version with its copy-source key into a new SSE-KMS version', async () => {
    const c = store.client
    const customer = randomBytes(32)
    const data = randomBytes(50_000)
    const src = await c.send(new PutObjectCommand({ Bucket: 'venc', Key: 'src', Body: data, ...ssec(customer) }))
    await c.send(new PutObjectCommand({ Bucket: 'venc', Key: 'src', Body: 'newer plaintext' }))
    const key = ssec(customer)
    const copy = await c.send(new CopyObjectCommand({
      Bucket: 'venc', Key: 'dst', CopySource: `venc/src?versionId=${src.VersionId}`,
      CopySourceSSECustomerAlgorithm: key.SSECustomerAlgorithm, CopySourceSSECustomerKey: key.SSECustomerKey,
      CopySourceSSECustomerKeyMD5: key.SSECustomerKeyMD5, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'minio-default',
    }))
    expect(copy.CopySourceVersionId).toBe(src.VersionId)
    expect(copy.VersionId).toMatch(/^[0-9a-f-]{36}$/)
    const got = await c.send(new GetObjectCommand({ Bucket: 'venc', Key: 'dst', VersionId: copy.VersionId }))
    expect(got.ServerSideEncryption).toBe('aws:kms')
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(data)).toBe(true)
  })
})
