/**
 * ETags of encrypted objects as MinIO stores and shows them: sealed in SQLite, the MD5 for SSE-S3 and the last
 * 32 hex digits of the sealed value for SSE-KMS/SSE-C, md5-of-part-ETags-N for multipart, everywhere a client
 * sees one (PUT, HEAD, GET, listings, conditionals, copy, UploadPart, ListParts, Complete).
 */
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import Database from 'better-sqlite3'
import {
  CompleteMultipartUploadCommand, CopyObjectCommand, CreateBucketCommand, CreateMultipartUploadCommand, GetObjectCommand,
  HeadObjectCommand, ListObjectsCommand, ListObjectsV2Command, ListObjectVersionsCommand, ListPartsCommand,
  PutObjectCommand, UploadPartCommand, type S3Client,
} from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testPki } from '../../helpers/pki.js'
import { bodyBytes, s3error } from '../../helpers/s3.js'
import { startKeyhold, type Keyhold } from './keyhold.js'
import { ROOT, kesEnv, startStore, type Store } from './s3-helper.js'

const run = promisify(execFile)
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex')
const q = (etag: string) => `"${etag}"`
/** S3's multipart ETag from the part ETags a client was shown. */
const multipartETag = (etags: string[]) =>
  `${createHash('md5').update(Buffer.concat(etags.map((e) => Buffer.from(e.replace(/"/g, ''), 'hex')))).digest('hex')}-${etags.length}`

/** Every ETag a listing of the bucket shows for key, through ListObjects V1, V2 and ListObjectVersions. */
async function listedETags(c: S3Client, bucket: string, key: string): Promise<Array<string | undefined>> {
  const v1 = await c.send(new ListObjectsCommand({ Bucket: bucket }))
  const v2 = await c.send(new ListObjectsV2Command({ Bucket: bucket }))
  const versions = await c.send(new ListObjectVersionsCommand({ Bucket: bucket }))
  return [v1.Contents?.find((o) => o.Key === key)?.ETag, v2.Contents?.find((o) => o.Key === key)?.ETag,
    versions.Versions?.find((o) => o.Key === key)?.ETag]
}

const ssec = (key: Buffer) => ({ SSECustomerAlgorithm: 'AES256', SSECustomerKey: key.toString('base64'), SSECustomerKeyMD5: createHash('md5').update(key).digest('base64') })

describe('ETags of encrypted objects, as MinIO', () => {
  let kh: Keyhold
  let store: Store
  let db: Database.Database
  /** Plaintexts whose MD5 must appear nowhere in DATA_DIR. */
  const md5Of: Buffer[] = []
  const storedETag = (bucket: string, key: string) =>
    (db.prepare('SELECT etag FROM objects WHERE bucket = ? AND key = ?').get(bucket, key) as { etag: string }).etag
  const storedPartETags = (bucket: string, key: string) =>
    (db.prepare('SELECT p.etag FROM object_parts p JOIN objects o ON o.id = p.object_id WHERE o.bucket = ? AND o.key = ? ORDER BY p.idx').all(bucket, key) as Array<{ etag: string }>).map((r) => r.etag)

  beforeAll(async () => {
    kh = await startKeyhold()
    store = await startStore(kesEnv(kh))
    for (const b of ['etags', 'down-s3', 'down-kms', 'legacy']) await store.client.send(new CreateBucketCommand({ Bucket: b }))
    db = new Database(join(store.dataDir, 'keyhold-s3.db'))
  })
  afterAll(async () => {
    db?.close()
    await store?.close()
    await kh?.stop()
  })

  it('SSE-S3 single-part: 96 sealed hex digits in SQLite, the MD5 on PUT, HEAD, GET, listings, conditionals and copy', async () => {
    const c = store.client
    const data = randomBytes(100_000)
    md5Of.push(data)
    const sum = md5(data)
    const put = await c.send(new PutObjectCommand({ Bucket: 'etags', Key: 's3', Body: data, ServerSideEncryption: 'AES256' }))
    expect(put.ETag).toBe(q(sum))
    const sealed = storedETag('etags', 's3')
    expect(sealed).toMatch(/^[0-9a-f]{96}$/)
    expect(sealed).not.toContain(sum)
    expect(storedPartETags('etags', 's3')).toEqual([sealed])

    expect((await c.send(new HeadObjectCommand({ Bucket: 'etags', Key: 's3' }))).ETag).toBe(q(sum))
    const got = await c.send(new GetObjectCommand({ Bucket: 'etags', Key: 's3' }))
    expect(got.ETag).toBe(q(sum))
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(data)).toBe(true)
    expect(await listedETags(c, 'etags', 's3')).toEqual([q(sum), q(sum), q(sum)])

    // Conditionals compare with the ETag the client sees.
    expect((await bodyBytes(c.send(new GetObjectCommand({ Bucket: 'etags', Key: 's3', IfMatch: q(sum) })))).equals(data)).toBe(true)
    expect((await c.send(new HeadObjectCommand({ Bucket: 'etags', Key: 's3', IfMatch: sum }))).ETag).toBe(q(sum))
    expect((await s3error(c.send(new GetObjectCommand({ Bucket: 'etags', Key: 's3', IfMatch: q(sealed.slice(-32)) })))).$metadata.httpStatusCode).toBe(412)
    expect((await s3error(c.send(new GetObjectCommand({ Bucket: 'etags', Key: 's3', IfNoneMatch: q(sum) })))).$metadata.httpStatusCode).toBe(304)

    // CopyObject: copy-source conditions see the MD5; the destination is re-sealed under its own key.
    const copy = await c.send(new CopyObjectCommand({ Bucket: 'etags', Key: 's3-copy', CopySource: 'etags/s3', CopySourceIfMatch: q(sum), ServerSideEncryption: 'AES256' }))
    expect(copy.CopyObjectResult?.ETag).toBe(q(sum))
    expect(storedETag('etags', 's3-copy')).toMatch(/^[0-9a-f]{96}$/)
    expect(storedETag('etags', 's3-copy')).not.toBe(sealed)
    expect((await c.send(new HeadObjectCommand({ Bucket: 'etags', Key: 's3-copy' }))).ETag).toBe(q(sum))
    const refused = await s3error(c.send(new CopyObjectCommand({ Bucket: 'etags', Key: 's3-copy2', CopySource: 'etags/s3', CopySourceIfNoneMatch: q(sum) })))
    expect(refused.$metadata.httpStatusCode).toBe(412)

    // To SSE-KMS: the sealed MD5 of the copy is stored, its last 32 hex digits are shown (never the MD5).
    const toKms = await c.send(new CopyObjectCommand({ Bucket: 'etags', Key: 's3-to-kms', CopySource: 'etags/s3', ServerSideEncryption: 'aws:kms' }))
    const kmsSealed = storedETag('etags', 's3-to-kms')
    expect(kmsSealed).toMatch(/^[0-9a-f]{96}$/)
    expect(toKms.CopyObjectResult?.ETag).toBe(q(kmsSealed.slice(-32)))
    expect((await c.send(new HeadObjectCommand({ Bucket: 'etags', Key: 's3-to-kms' }))).ETag).toBe(q(kmsSealed.slice(-32)))
  })

  it('SSE-KMS and SSE-C single-part: sealed in SQLite, the last 32 hex digits shown, not the MD5', async () => {
    const c = store.client
    const data = randomBytes(5000)
    md5Of.push(data)
    const customer = randomBytes(32)
    const kms = await c.send(new PutObjectCommand({ Bucket: 'etags', Key: 'kms', Body: data, ServerSideEncryption: 'aws:kms' }))
    const withMd5 = await c.send(new PutObjectCommand({ Bucket: 'etags', Key: 'kms-md5', Body: data, ServerSideEncryption: 'aws:kms', ContentMD5: createHash('md5').update(data).digest('base64') }))
    const cust = await c.send(new PutObjectCommand({ Bucket: 'etags', Key: 'ssec', Body: data, ...ssec(customer) }))
    for (const [key, put] of [['kms', kms], ['kms-md5', withMd5], ['ssec', cust]] as const) {
      const sealed = storedETag('etags', key)
      expect(sealed).toMatch(/^[0-9a-f]{96}$/)
      expect(put.ETag).toBe(q(sealed.slice(-32)))
      expect(put.ETag).not.toBe(q(md5(data)))
      expect(await listedETags(c, 'etags', key)).toEqual([put.ETag, put.ETag, put.ETag])
    }
    expect((await c.send(new HeadObjectCommand({ Bucket: 'etags', Key: 'ssec', ...ssec(customer) }))).ETag).toBe(cust.ETag)
    expect((await c.send(new HeadObjectCommand({ Bucket: 'etags', Key: 'kms', IfMatch: kms.ETag }))).ETag).toBe(kms.ETag)
  })

  it('multipart SSE-S3, SSE-KMS and SSE-C: UploadPart, ListParts and Complete ETags as MinIO; sealed part ETags stored', async () => {
    const c = store.client
    const customer = randomBytes(32)
    const p1 = randomBytes(5 << 20)
    const p2 = randomBytes(70_000)
    md5Of.push(p1, p2, Buffer.concat([p1, p2]))
    const kinds = {
      'SSE-S3': { create: { ServerSideEncryption: 'AES256' as const }, each: {} },
      'SSE-KMS': { create: { ServerSideEncryption: 'aws:kms' as const }, each: {} },
      'SSE-C': { create: ssec(customer), each: ssec(customer) },
    }
    for (const [kind, h] of Object.entries(kinds)) {
      const Key = `mp-${kind}`
      const up = await c.send(new CreateMultipartUploadCommand({ Bucket: 'etags', Key, ...h.create }))
      const ids = { Bucket: 'etags', Key, UploadId: up.UploadId }
      const e1 = (await c.send(new UploadPartCommand({ ...ids, PartNumber: 1, Body: p1, ...h.each }))).ETag!
      const e2 = (await c.send(new UploadPartCommand({ ...ids, PartNumber: 2, Body: p2, ...h.each }))).ETag!
      const stored = (db.prepare('SELECT etag FROM upload_parts WHERE upload_id = ? ORDER BY part_number').all(up.UploadId) as Array<{ etag: string }>).map((r) => r.etag)
      expect(stored).toHaveLength(2)
      for (const s of stored) expect(s).toMatch(/^[0-9a-f]{96}$/)
      if (kind === 'SSE-S3') {
        expect([e1, e2]).toEqual([q(md5(p1)), q(md5(p2))])
      } else {
        expect([e1, e2]).toEqual([q(stored[0]!.slice(-32)), q(stored[1]!.slice(-32))])
        expect(e1).not.toBe(q(md5(p1)))
      }
      const parts = await c.send(new ListPartsCommand(ids))
      expect(parts.Parts?.map((p) => [p.ETag, p.Size])).toEqual([[e1, p1.length], [e2, p2.length]])

      if (kind !== 'SSE-S3') {
        // The plaintext MD5s are not the part ETags of an SSE-KMS/SSE-C upload.
        const wrong = await s3error(c.send(new CompleteMultipartUploadCommand({ ...ids, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: q(md5(p1)) }, { PartNumber: 2, ETag: e2 }] } })))
        expect([wrong.$metadata.httpStatusCode, wrong.name]).toEqual([400, 'InvalidPart'])
      }
      const done = await c.send(new CompleteMultipartUploadCommand({ ...ids, ...h.each, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: e1 }, { PartNumber: 2, ETag: e2 }] } }))
      const want = q(multipartETag([e1, e2]))
      expect(done.ETag).toBe(want)
      expect(storedETag('etags', Key)).toBe(multipartETag([e1, e2]))
      expect(storedPartETags('etags', Key)).toEqual(stored)
      const got = await c.send(new GetObjectCommand({ Bucket: 'etags', Key, ...h.each }))
      expect(got.ETag).toBe(want)
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat([p1, p2]))).toBe(true)
      expect(await listedETags(c, 'etags', Key)).toEqual([want, want, want])
    }
  }, 60_000)

  it('aws CLI multipart cp with --sse AES256, --sse aws:kms and --sse-c completes with MinIO\'s ETag form', async () => {
    const pki = await testPki()
    const work = mkdtempSync(join(tmpdir(), 'keyhold-etag-cli-'))
    const env = {
      ...process.env, AWS_ACCESS_KEY_ID: ROOT.user, AWS_SECRET_ACCESS_KEY: ROOT.password, AWS_DEFAULT_REGION: 'us-east-1',
      AWS_CA_BUNDLE: pki.ca.certFile, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_EC2_METADATA_DISABLED: 'true',
    }
    const aws = (...args: string[]) => run('aws', ['--endpoint-url', store.server.url, ...args], { env, timeout: 60_000 })
    // The CLI's defaults: 8 MiB threshold and parts, so this file goes up as two parts.
    const data = randomBytes(9 * 1024 * 1024 + 7)
    md5Of.push(data, data.subarray(0, 8 << 20), data.subarray(8 << 20))
    const file = join(work, 'big.bin')
    writeFileSync(file, data)
    const customer = randomBytes(16).toString('hex') // the CLI takes the 32-byte key as a string
    await Promise.all([
      aws('s3', 'cp', file, 's3://etags/cli-s3', '--sse', 'AES256'),
      aws('s3', 'cp', file, 's3://etags/cli-kms', '--sse', 'aws:kms'),
      aws('s3', 'cp', file, 's3://etags/cli-ssec', '--sse-c', 'AES256', '--sse-c-key', customer),
    ])
    const c = store.client
    const cliKey = ssec(Buffer.from(customer))
    const s3 = await c.send(new HeadObjectCommand({ Bucket: 'etags', Key: 'cli-s3' }))
    expect(s3.ETag).toBe(q(multipartETag([md5(data.subarray(0, 8 << 20)), md5(data.subarray(8 << 20))])))
    expect(s3.ServerSideEncryption).toBe('AES256')
    const kms = await c.send(new HeadObjectCommand({ Bucket: 'etags', Key: 'cli-kms' }))
    expect(kms.ETag).toMatch(/^"[0-9a-f]{32}-2"$/)
    expect(kms.ETag).not.toBe(s3.ETag)
    const cust = await c.send(new HeadObjectCommand({ Bucket: 'etags', Key: 'cli-ssec', ...cliKey }))
    expect(cust.ETag).toMatch(/^"[0-9a-f]{32}-2"$/)
    expect((await bodyBytes(c.send(new GetObjectCommand({ Bucket: 'etags', Key: 'cli-ssec', ...cliKey })))).equals(data)).toBe(true)
    expect((await bodyBytes(c.send(new GetObjectCommand({ Bucket: 'etags', Key: 'cli-kms' })))).equals(data)).toBe(true)
  }, 120_000)

  it('Keyhold down: the GET of an SSE-S3 object is 503, its listing and HEAD show the remembered ETag; SSE-KMS and old unsealed ETags need no KMS', async () => {
    const c = store.client
    const data = randomBytes(3000)
    await c.send(new PutObjectCommand({ Bucket: 'down-s3', Key: 'o', Body: data, ServerSideEncryption: 'AES256' }))
    const kms = await c.send(new PutObjectCommand({ Bucket: 'down-kms', Key: 'o', Body: data, ServerSideEncryption: 'aws:kms' }))
    // An SSE-S3 object stored before ETags were sealed: its 16-byte ETag is shown as is.
    await c.send(new PutObjectCommand({ Bucket: 'legacy', Key: 'o', Body: data, ServerSideEncryption: 'AES256' }))
    const id = (db.prepare("SELECT id FROM objects WHERE bucket = 'legacy' AND key = 'o'").get() as { id: string }).id
    db.prepare('UPDATE objects SET etag = ? WHERE id = ?').run(md5(data), id)
    db.prepare('UPDATE object_parts SET etag = ? WHERE object_id = ?').run(md5(data), id)
    expect(await listedETags(c, 'legacy', 'o')).toEqual([q(md5(data)), q(md5(data)), q(md5(data))])

    await kh.stop()
    try {
      const get = await s3error(c.send(new GetObjectCommand({ Bucket: 'down-s3', Key: 'o' })))
      expect([get.$metadata.httpStatusCode, get.name]).toEqual([503, 'ServiceUnavailable'])
      // The ETag unsealed at write time is remembered (in memory only): listings and HEAD keep working.
      expect(await listedETags(c, 'down-s3', 'o')).toEqual([q(md5(data)), q(md5(data)), q(md5(data))])
      expect((await c.send(new HeadObjectCommand({ Bucket: 'down-s3', Key: 'o' }))).ETag).toBe(q(md5(data)))
      expect((await c.send(new ListObjectsV2Command({ Bucket: 'down-kms' }))).Contents?.[0]?.ETag).toBe(kms.ETag)
      expect((await c.send(new HeadObjectCommand({ Bucket: 'legacy', Key: 'o' }))).ETag).toBe(q(md5(data)))
      expect((await c.send(new ListObjectsV2Command({ Bucket: 'legacy' }))).Contents?.[0]?.ETag).toBe(q(md5(data)))
    } finally {
      await kh.start()
    }
    expect(await listedETags(c, 'down-s3', 'o')).toEqual([q(md5(data)), q(md5(data)), q(md5(data))])
    const legacy = await c.send(new GetObjectCommand({ Bucket: 'legacy', Key: 'o', IfMatch: q(md5(data)) }))
    expect(legacy.ETag).toBe(q(md5(data)))
    expect(Buffer.from(await legacy.Body!.transformToByteArray()).equals(data)).toBe(true)
  })

  it('a tampered sealed ETag fails HEAD and the listing with InternalError, never shows the sealed value', async () => {
    const c = store.client
    await c.send(new PutObjectCommand({ Bucket: 'down-s3', Key: 't', Body: Buffer.from('tamper me'), ServerSideEncryption: 'AES256' }))
    const sealed = storedETag('down-s3', 't')
    const flipped = sealed.slice(0, 40) + (sealed[40] === '0' ? '1' : '0') + sealed.slice(41)
    db.prepare("UPDATE objects SET etag = ? WHERE bucket = 'down-s3' AND key = 't'").run(flipped)
    try {
      expect((await s3error(c.send(new HeadObjectCommand({ Bucket: 'down-s3', Key: 't' })))).$metadata.httpStatusCode).toBe(500)
      const list = await s3error(c.send(new ListObjectsV2Command({ Bucket: 'down-s3' })))
      expect([list.$metadata.httpStatusCode, list.name]).toEqual([500, 'InternalError'])
    } finally {
      db.prepare("UPDATE objects SET etag = ? WHERE bucket = 'down-s3' AND key = 't'").run(sealed)
    }
    expect((await c.send(new HeadObjectCommand({ Bucket: 'down-s3', Key: 't' }))).ETag).toBe(q(md5(Buffer.from('tamper me'))))
  })

  it('DATA_DIR (blobs, SQLite db and WAL) holds no plaintext MD5 of the objects and parts above', () => {
    const files = (dir: string): string[] => readdirSync(dir).flatMap((f) => {
      const p = join(dir, f)
      return statSync(p).isDirectory() ? files(p) : [p]
    })
    const all = files(store.dataDir)
    expect(all.some((f) => f.endsWith('.db-wal'))).toBe(true)
    const forms = md5Of.flatMap((d) => {
      const sum = createHash('md5').update(d).digest()
      return [sum, Buffer.from(sum.toString('hex')), Buffer.from(sum.toString('base64'))]
    })
    for (const f of all) {
      const content = readFileSync(f)
      for (const form of forms) expect(content.includes(form)).toBe(false)
    }
  })
})
