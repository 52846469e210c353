/**
 * Checksums (x-amz-checksum-*) of encrypted objects are hashes of their plaintext: DATA_DIR holds them only
 * sealed under the object key (src/s3/sse/checksum-seal.ts), as it holds ETags, and every place that shows a
 * stored checksum still shows the plaintext's: GET/HEAD with checksum mode, GetObjectAttributes, ListParts,
 * CompleteMultipartUpload (listed part checksums, composite and full-object checksums) and CopyObject. An SSE-C
 * upload shows no part checksum to a caller without its key. Against a real Keyhold, over TLS.
 */
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import {
  CompleteMultipartUploadCommand, CopyObjectCommand, CreateBucketCommand, CreateMultipartUploadCommand, GetObjectAttributesCommand,
  GetObjectCommand, HeadObjectCommand, ListPartsCommand, PutObjectCommand, UploadPartCommand, type ChecksumAlgorithm,
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { S3Error } from '../../../src/s3/api/errors.js'
import { sealChecksum, unsealChecksum } from '../../../src/s3/sse/checksum-seal.js'
import { bodyBytes, s3error } from '../../helpers/s3.js'
import { startKeyhold, type Keyhold } from './keyhold.js'
import { kesEnv, startStore, type Store } from './s3-helper.js'

const BUCKET = 'cks'
let kh: Keyhold
let store: Store

beforeAll(async () => {
  kh = await startKeyhold()
  store = await startStore(kesEnv(kh))
  await store.client.send(new CreateBucketCommand({ Bucket: BUCKET }))
})
afterAll(async () => {
  await store?.close()
  await kh?.stop()
})

const customerKey = randomBytes(32)
const SSEC = {
  SSECustomerAlgorithm: 'AES256', SSECustomerKey: customerKey.toString('base64'),
  SSECustomerKeyMD5: createHash('md5').update(customerKey).digest('base64'),
}
const COPY_SSEC = {
  CopySourceSSECustomerAlgorithm: SSEC.SSECustomerAlgorithm, CopySourceSSECustomerKey: SSEC.SSECustomerKey,
  CopySourceSSECustomerKeyMD5: SSEC.SSECustomerKeyMD5,
}

type Kind = 'SSE-S3' | 'SSE-KMS' | 'SSE-C'
const KINDS: Kind[] = ['SSE-S3', 'SSE-KMS', 'SSE-C']
/** The headers that create an object of this kind. */
const create = (kind: Kind) => (kind === 'SSE-C' ? SSEC : { ServerSideEncryption: kind === 'SSE-S3' ? 'AES256' as const : 'aws:kms' as const })
/** The headers that read (or add a part to) an object of this kind. */
const access = (kind: Kind) => (kind === 'SSE-C' ? SSEC : {})

function openDb(readonly = true): Database.Database {
  return new Database(join(store.dataDir, 'keyhold-s3.db'), { readonly })
}

/** storedChecksums is every checksum column of DATA_DIR's database, as text. */
function storedChecksums(): string {
  const db = openDb()
  try {
    return ['objects', 'object_versions', 'object_parts', 'upload_parts']
      .map((t) => JSON.stringify(db.prepare(`SELECT checksum FROM ${t}`).all())).join('\n')
  } finally {
    db.close()
  }
}

/** diskBytes is the database as someone with the disk (or a backup) reads it: the file and its write-ahead log. */
function diskBytes(): Buffer {
  const base = join(store.dataDir, 'keyhold-s3.db')
  return Buffer.concat([base, `${base}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f)))
}

/** expectNowhereOnDisk asserts no checksum value (base64) is in DATA_DIR's database. */
function expectNowhereOnDisk(...values: string[]): void {
  const columns = storedChecksums()
  const disk = diskBytes()
  for (const v of values) {
    expect(v.length).toBeGreaterThan(0)
    expect(columns).not.toContain(v)
    expect(disk.includes(Buffer.from(v))).toBe(false)
  }
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('base64')
const field = (algorithm: ChecksumAlgorithm) => `Checksum${algorithm}` as 'ChecksumSHA256' | 'ChecksumCRC32'

describe('single-part objects', () => {
  it.each(KINDS.flatMap((kind) => (['SHA256', 'CRC32'] as const).map((algorithm) => [kind, algorithm] as const)))(
    '%s %s: stored sealed; HEAD/GET checksum mode, GetObjectAttributes and CopyObject show it', async (kind, algorithm) => {
      const c = store.client
      const Key = `single-${kind}-${algorithm}`
      const body = randomBytes(3000)
      const put = await c.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: body, ChecksumAlgorithm: algorithm, ...create(kind) }))
      const value = put[field(algorithm)]!
      if (algorithm === 'SHA256') expect(value).toBe(sha256(body))
      expectNowhereOnDisk(value)

      const head = await c.send(new HeadObjectCommand({ Bucket: BUCKET, Key, ChecksumMode: 'ENABLED', ...access(kind) }))
      expect([head[field(algorithm)], head.ChecksumType]).toEqual([value, 'FULL_OBJECT'])
      const get = await c.send(new GetObjectCommand({ Bucket: BUCKET, Key, ChecksumMode: 'ENABLED', ...access(kind) }))
      expect(get[field(algorithm)]).toBe(value)
      expect(Buffer.from(await get.Body!.transformToByteArray()).equals(body)).toBe(true)
      const attrs = await c.send(new GetObjectAttributesCommand({ Bucket: BUCKET, Key, ObjectAttributes: ['Checksum'], ...access(kind) }))
      expect([attrs.Checksum?.[field(algorithm)], attrs.Checksum?.ChecksumType]).toEqual([value, 'FULL_OBJECT'])

      // The copy has its own object key: the checksum is sealed again under it.
      const copy = await c.send(new CopyObjectCommand({
        Bucket: BUCKET, Key: `${Key}-copy`, CopySource: `${BUCKET}/${Key}`, ...create(kind), ...(kind === 'SSE-C' ? COPY_SSEC : {}),
      }))
      expect(copy.CopyObjectResult?.[field(algorithm)]).toBe(value)
      const copied = await c.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `${Key}-copy`, ChecksumMode: 'ENABLED', ...access(kind) }))
      expect(copied[field(algorithm)]).toBe(value)
      expectNowhereOnDisk(value)
    })

  it('a copy between an encrypted and a plain object opens and seals the checksum on the way', async () => {
    const c = store.client
    const body = randomBytes(500)
    const value = sha256(body)
    await c.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'plain-src', Body: body, ChecksumAlgorithm: 'SHA256' }))
    await c.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'kms-dst', CopySource: `${BUCKET}/plain-src`, ServerSideEncryption: 'aws:kms' }))
    await c.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'plain-dst', CopySource: `${BUCKET}/kms-dst` }))
    for (const Key of ['kms-dst', 'plain-dst']) {
      expect((await c.send(new HeadObjectCommand({ Bucket: BUCKET, Key, ChecksumMode: 'ENABLED' }))).ChecksumSHA256).toBe(value)
    }
    const db = openDb()
    try {
      const rows = db.prepare('SELECT key, checksum FROM objects WHERE bucket = ? AND key IN (?, ?)').all(BUCKET, 'kms-dst', 'plain-dst') as Array<{ key: string; checksum: string }>
      const byKey = new Map(rows.map((r) => [r.key, JSON.parse(r.checksum) as { value: string }]))
      // Unencrypted objects are unchanged: their checksum is stored as the client sees it.
      expect(byKey.get('plain-dst')?.value).toBe(value)
      expect(byKey.get('kms-dst')?.value).not.toContain(value)
    } finally {
      db.close()
    }
  })
})

describe('multipart uploads', () => {
  const cases = KINDS.flatMap((kind) => [[kind, 'SHA256', 'COMPOSITE'], [kind, 'CRC32', 'FULL_OBJECT']] as const)
  it.each(cases)('%s %s %s: parts and object stored sealed; ListParts, Complete, HEAD and GetObjectAttributes show them', async (kind, algorithm, type) => {
    const c = store.client
    const Key = `mp-${kind}-${algorithm}`
    const bodies = [randomBytes(5 * 1024 * 1024), randomBytes(1000)]
    const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key, ChecksumAlgorithm: algorithm, ChecksumType: type, ...create(kind) }))
    const parts: Array<{ PartNumber: number; ETag?: string; ChecksumSHA256?: string; ChecksumCRC32?: string }> = []
    for (const [i, Body] of bodies.entries()) {
      const r = await c.send(new UploadPartCommand({ Bucket: BUCKET, Key, UploadId, PartNumber: i + 1, Body, ChecksumAlgorithm: algorithm, ...access(kind) }))
      parts.push({ PartNumber: i + 1, ETag: r.ETag, [field(algorithm)]: r[field(algorithm)] })
    }
    const values = parts.map((p) => p[field(algorithm)]!)
    if (algorithm === 'SHA256') expect(values).toEqual(bodies.map(sha256))
    expectNowhereOnDisk(...values)

    const listed = await c.send(new ListPartsCommand({ Bucket: BUCKET, Key, UploadId, ...access(kind) }))
    expect(listed.Parts?.map((p) => p[field(algorithm)])).toEqual(values)

    if (kind === 'SSE-C') {
      // Without the key: refused (AWS wants the SSE-C headers on ListParts of an upload with a checksum algorithm).
      const err = await s3error(c.send(new ListPartsCommand({ Bucket: BUCKET, Key, UploadId })))
      expect([err.$metadata.httpStatusCode, err.name]).toEqual([400, 'InvalidRequest'])
      // Complete needs the key too: the part checksums are sealed under the object key.
      const done = await s3error(c.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key, UploadId, MultipartUpload: { Parts: parts } })))
      expect([done.$metadata.httpStatusCode, done.name]).toEqual([400, 'InvalidRequest'])
    }
    // A listed part checksum is still compared with the stored (sealed) one.
    const wrong = parts.map((p, i) => (i === 0 ? { ...p, [field(algorithm)]: values[1] } : p))
    const bad = await s3error(c.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key, UploadId, MultipartUpload: { Parts: wrong }, ...access(kind) })))
    expect(bad.name).toBe('InvalidPart')

    const done = await c.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key, UploadId, MultipartUpload: { Parts: parts }, ...access(kind) }))
    const whole = done[field(algorithm)]!
    expect(done.ChecksumType).toBe(type)
    if (type === 'COMPOSITE') {
      const composite = createHash('sha256').update(Buffer.concat(values.map((v) => Buffer.from(v, 'base64')))).digest('base64')
      expect(whole).toBe(`${composite}-2`)
    }
    const bare = whole.replace(/-2$/, '')
    expectNowhereOnDisk(bare, ...values)

    const head = await c.send(new HeadObjectCommand({ Bucket: BUCKET, Key, ChecksumMode: 'ENABLED', ...access(kind) }))
    expect([head[field(algorithm)], head.ChecksumType]).toEqual([whole, type])
    const attrs = await c.send(new GetObjectAttributesCommand({ Bucket: BUCKET, Key, ObjectAttributes: ['Checksum', 'ObjectParts'], ...access(kind) }))
    expect(attrs.Checksum?.[field(algorithm)]).toBe(bare)
    expect(attrs.ObjectParts?.Parts?.map((p) => p[field(algorithm)])).toEqual(values)
    const got = await bodyBytes(c.send(new GetObjectCommand({ Bucket: BUCKET, Key, ...access(kind) })))
    expect(got.equals(Buffer.concat(bodies))).toBe(true)
  })

  it('SSE-C with lib-storage (its default CRC32 upload): the key it sends on every call completes it', async () => {
    const c = store.client
    const body = randomBytes(6 * 1024 * 1024)
    const done = await new Upload({ client: c, params: { Bucket: BUCKET, Key: 'mp-ssec-lib', Body: body, ...SSEC }, partSize: 5 * 1024 * 1024 }).done()
    expect(done.ChecksumCRC32).toMatch(/-2$/)
    expectNowhereOnDisk(done.ChecksumCRC32!.replace(/-2$/, ''))
    const head = await c.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'mp-ssec-lib', ChecksumMode: 'ENABLED', ...SSEC }))
    expect(head.ChecksumCRC32).toBe(done.ChecksumCRC32)
  })

  it('SSE-C upload without a checksum algorithm: a key-less ListParts shows its parts without their checksums', async () => {
    const c = store.client
    const Key = 'mp-ssec-noalgo'
    const body = randomBytes(2000)
    const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key, ...SSEC }))
    const r = await c.send(new UploadPartCommand({ Bucket: BUCKET, Key, UploadId, PartNumber: 1, Body: body, ChecksumSHA256: sha256(body), ...SSEC }))
    expect(r.ChecksumSHA256).toBe(sha256(body))
    expectNowhereOnDisk(sha256(body))
    const keyless = await c.send(new ListPartsCommand({ Bucket: BUCKET, Key, UploadId }))
    expect(keyless.Parts?.map((p) => [p.PartNumber, p.ChecksumSHA256])).toEqual([[1, undefined]])
    expect(JSON.stringify(keyless)).not.toContain(sha256(body))
    const keyed = await c.send(new ListPartsCommand({ Bucket: BUCKET, Key, UploadId, ...SSEC }))
    expect(keyed.Parts?.map((p) => p.ChecksumSHA256)).toEqual([sha256(body)])
    // No algorithm: completes without the key, as before (MinIO).
    await c.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: r.ETag }] } }))
  })
})

describe('checksums stored in clear before sealing', () => {
  it('still read: an object\'s on HEAD/GetObjectAttributes, an upload\'s parts on ListParts and Complete', async () => {
    const c = store.client
    const body = randomBytes(1200)
    const value = sha256(body)
    await c.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'old', Body: body, ChecksumSHA256: value, ServerSideEncryption: 'aws:kms' }))
    const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'old-mp', ChecksumAlgorithm: 'SHA256', ServerSideEncryption: 'AES256' }))
    const part = await c.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'old-mp', UploadId, PartNumber: 1, Body: body, ChecksumSHA256: value }))
    // Written now: sealed. Rewritten as an older keyhold-s3 stored them: in clear.
    expectNowhereOnDisk(value)
    const db = openDb(false)
    try {
      db.prepare('UPDATE objects SET checksum = ? WHERE bucket = ? AND key = ?')
        .run(JSON.stringify({ algorithm: 'SHA256', value, type: 'FULL_OBJECT' }), BUCKET, 'old')
      db.prepare('UPDATE upload_parts SET checksum = ? WHERE upload_id = ?').run(`SHA256:${value}`, UploadId)
    } finally {
      db.close()
    }
    expect((await c.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'old', ChecksumMode: 'ENABLED' }))).ChecksumSHA256).toBe(value)
    const attrs = await c.send(new GetObjectAttributesCommand({ Bucket: BUCKET, Key: 'old', ObjectAttributes: ['Checksum'] }))
    expect(attrs.Checksum?.ChecksumSHA256).toBe(value)
    const listed = await c.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'old-mp', UploadId }))
    expect(listed.Parts?.map((p) => p.ChecksumSHA256)).toEqual([value])
    const done = await c.send(new CompleteMultipartUploadCommand({
      Bucket: BUCKET, Key: 'old-mp', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag, ChecksumSHA256: value }] },
    }))
    const composite = createHash('sha256').update(Buffer.from(value, 'base64')).digest('base64')
    expect(done.ChecksumSHA256).toBe(`${composite}-1`)
    // The completed object's own checksum is sealed; its part keeps the clear one it had, and still reads.
    const db2 = openDb()
    try {
      const row = db2.prepare('SELECT checksum FROM objects WHERE bucket = ? AND key = ?').get(BUCKET, 'old-mp') as { checksum: string }
      expect(row.checksum).not.toContain(composite)
    } finally {
      db2.close()
    }
    const mpAttrs = await c.send(new GetObjectAttributesCommand({ Bucket: BUCKET, Key: 'old-mp', ObjectAttributes: ['Checksum', 'ObjectParts'] }))
    expect([mpAttrs.Checksum?.ChecksumSHA256, mpAttrs.ObjectParts?.Parts?.[0]?.ChecksumSHA256]).toEqual([composite, value])
  })
})

describe('KMS outage', () => {
  it('a plain HEAD of an SSE-KMS object with a checksum needs no KMS; checksum mode does (503)', async () => {
    const c = store.client
    const body = randomBytes(100)
    await c.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'outage', Body: body, ChecksumSHA256: sha256(body), ServerSideEncryption: 'aws:kms' }))
    await kh.stop()
    try {
      const head = await c.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'outage' }))
      expect(head.ContentLength).toBe(100)
      const err = await s3error(c.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'outage', ChecksumMode: 'ENABLED' })))
      expect(err.$metadata.httpStatusCode).toBe(503)
    } finally {
      await kh.start()
    }
    expect((await c.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'outage', ChecksumMode: 'ENABLED' }))).ChecksumSHA256).toBe(sha256(body))
  })
})

describe('checksum-seal', () => {
  const objectKey = randomBytes(32)
  const value = sha256(Buffer.from('x'))

  it('opens only for its object key, algorithm and part; a clear value passes as is', () => {
    const sealed = sealChecksum(objectKey, 'SHA256', value, 3)
    expect(sealed).not.toContain(value)
    expect(sealed).not.toBe(sealChecksum(objectKey, 'SHA256', value, 3))
    expect(unsealChecksum(objectKey, 'SHA256', sealed, 3)).toBe(value)
    for (const [key, algorithm, part] of [[randomBytes(32), 'SHA256', 3], [objectKey, 'SHA1', 3], [objectKey, 'SHA256', 0]] as const) {
      expect(() => unsealChecksum(key, algorithm, sealed, part)).toThrow(S3Error)
    }
    expect(() => unsealChecksum(objectKey, 'SHA256', `${sealed.slice(0, -4)}AAAA`, 3)).toThrow(S3Error)
    expect(unsealChecksum(objectKey, 'SHA256', value, 3)).toBe(value)
  })
})
