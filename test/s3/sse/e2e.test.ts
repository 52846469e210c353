import { createHash, randomBytes } from 'node:crypto'
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import {
  CompleteMultipartUploadCommand, CopyObjectCommand, CreateBucketCommand, CreateMultipartUploadCommand, GetObjectCommand,
  HeadObjectCommand, ListObjectsV2Command, PutBucketEncryptionCommand, PutObjectCommand, UploadPartCommand,
} from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KesClient } from '../../../src/kes-client/index.js'
import { bodyBytes, s3error } from '../../helpers/s3.js'
import { startKeyhold, type Keyhold } from './keyhold.js'
import { kesEnv, startStore, type Store } from './s3-helper.js'

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? files(p) : [p]
  })
}

describe('keyhold-s3 with Keyhold over mTLS', () => {
  let kh: Keyhold
  let store: Store
  const secrets: Buffer[] = []
  /** Plaintexts of encrypted objects and parts: their MD5 must appear nowhere in DATA_DIR (sealed ETags). */
  const md5Of: Buffer[] = []

  beforeAll(async () => {
    kh = await startKeyhold()
    store = await startStore(kesEnv(kh))
    await store.client.send(new CreateBucketCommand({ Bucket: 'enc' }))
  })
  afterAll(async () => {
    await store.close()
    await kh.stop()
  })

  it('bucket default SSE-KMS encrypts new writes: headers, sizes, ranges', async () => {
    const c = store.client
    await c.send(new PutBucketEncryptionCommand({
      Bucket: 'enc',
      ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'arn:aws:kms:minio-default' } }] },
    }))
    const data = randomBytes(200_000)
    secrets.push(data)
    md5Of.push(data)
    const put = await c.send(new PutObjectCommand({ Bucket: 'enc', Key: 'a/obj.bin', Body: data }))
    expect(put.ServerSideEncryption).toBe('aws:kms')
    expect(put.SSEKMSKeyId).toBe('arn:aws:kms:minio-default')
    const head = await c.send(new HeadObjectCommand({ Bucket: 'enc', Key: 'a/obj.bin' }))
    expect([head.ServerSideEncryption, head.SSEKMSKeyId, head.ContentLength]).toEqual(['aws:kms', 'arn:aws:kms:minio-default', data.length])
    expect((await bodyBytes(c.send(new GetObjectCommand({ Bucket: 'enc', Key: 'a/obj.bin' })))).equals(data)).toBe(true)
    const ranged = await bodyBytes(c.send(new GetObjectCommand({ Bucket: 'enc', Key: 'a/obj.bin', Range: 'bytes=65530-65545' })))
    expect(ranged.equals(data.subarray(65530, 65546))).toBe(true)
    const list = await c.send(new ListObjectsV2Command({ Bucket: 'enc' }))
    expect(list.Contents?.find((o) => o.Key === 'a/obj.bin')?.Size).toBe(data.length)
    // Explicit headers win over the bucket default.
    const s3 = await c.send(new PutObjectCommand({ Bucket: 'enc', Key: 'sse-s3', Body: data, ServerSideEncryption: 'AES256' }))
    expect(s3.ServerSideEncryption).toBe('AES256')
    expect(s3.ETag).toBe(`"${createHash('md5').update(data).digest('hex')}"`)
  })

  it('SSE-C: echo headers, wrong key 403 AccessDenied, GET without key 400', async () => {
    const c = store.client
    const key = randomBytes(32)
    secrets.push(key)
    const md5 = createHash('md5').update(key).digest('base64')
    const data = Buffer.from('customer-key protected payload '.repeat(100))
    md5Of.push(data)
    const ssec = { SSECustomerAlgorithm: 'AES256', SSECustomerKey: key.toString('base64'), SSECustomerKeyMD5: md5 }
    const put = await c.send(new PutObjectCommand({ Bucket: 'enc', Key: 'ssec', Body: data, ...ssec }))
    expect([put.SSECustomerAlgorithm, put.SSECustomerKeyMD5]).toEqual(['AES256', md5])
    expect((await bodyBytes(c.send(new GetObjectCommand({ Bucket: 'enc', Key: 'ssec', ...ssec })))).equals(data)).toBe(true)
    const wrongKey = randomBytes(32)
    const wrong = await s3error(c.send(new GetObjectCommand({ Bucket: 'enc', Key: 'ssec', SSECustomerAlgorithm: 'AES256', SSECustomerKey: wrongKey.toString('base64'), SSECustomerKeyMD5: createHash('md5').update(wrongKey).digest('base64') })))
    expect([wrong.$metadata.httpStatusCode, wrong.name]).toEqual([403, 'AccessDenied'])
    const none = await s3error(c.send(new GetObjectCommand({ Bucket: 'enc', Key: 'ssec' })))
    expect(none.$metadata.httpStatusCode).toBe(400)
  })

  it('multipart SSE-KMS with an encryption context, and CopyObject re-seals (key rotation)', async () => {
    const c = store.client
    const ctx = Buffer.from(JSON.stringify({ project: 'p1' })).toString('base64')
    const up = await c.send(new CreateMultipartUploadCommand({ Bucket: 'enc', Key: 'mp', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'minio-default', SSEKMSEncryptionContext: ctx }))
    expect([up.ServerSideEncryption, up.SSEKMSEncryptionContext]).toEqual(['aws:kms', Buffer.from('{"project":"p1"}').toString('base64')])
    const p1 = randomBytes(5 << 20)
    const p2 = randomBytes(70_000)
    const e1 = await c.send(new UploadPartCommand({ Bucket: 'enc', Key: 'mp', UploadId: up.UploadId, PartNumber: 1, Body: p1 }))
    const e2 = await c.send(new UploadPartCommand({ Bucket: 'enc', Key: 'mp', UploadId: up.UploadId, PartNumber: 2, Body: p2 }))
    await c.send(new CompleteMultipartUploadCommand({ Bucket: 'enc', Key: 'mp', UploadId: up.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: e1.ETag }, { PartNumber: 2, ETag: e2.ETag }] } }))
    const all = Buffer.concat([p1, p2])
    md5Of.push(p1, p2, all)
    const head = await c.send(new HeadObjectCommand({ Bucket: 'enc', Key: 'mp' }))
    expect([head.ContentLength, head.ServerSideEncryption]).toEqual([all.length, 'aws:kms'])
    expect((await bodyBytes(c.send(new GetObjectCommand({ Bucket: 'enc', Key: 'mp' })))).equals(all)).toBe(true)
    const cross = await bodyBytes(c.send(new GetObjectCommand({ Bucket: 'enc', Key: 'mp', Range: `bytes=${(5 << 20) - 3}-${(5 << 20) + 3}` })))
    expect(cross.equals(all.subarray((5 << 20) - 3, (5 << 20) + 4))).toBe(true)

    const copy = await c.send(new CopyObjectCommand({ Bucket: 'enc', Key: 'mp-copy', CopySource: 'enc/mp', ServerSideEncryption: 'AES256' }))
    expect(copy.ServerSideEncryption).toBe('AES256')
    expect((await bodyBytes(c.send(new GetObjectCommand({ Bucket: 'enc', Key: 'mp-copy' })))).equals(all)).toBe(true)
  })

  it('CopyObject from an SSE-C source, and in-place rotation to another KMS key', async () => {
    const c = store.client
    const admin = await KesClient.create({ endpoints: [kh.url], certPem: kh.admin.certPem, keyPem: kh.admin.keyPem, ca: kh.ca.certPem })
    await admin.createKey('rotated-to')
    admin.close()
    const key = randomBytes(32)
    const md5 = createHash('md5').update(key).digest('base64')
    const data = randomBytes(100_000)
    md5Of.push(data)
    await c.send(new PutObjectCommand({ Bucket: 'enc', Key: 'c-src', Body: data, SSECustomerAlgorithm: 'AES256', SSECustomerKey: key.toString('base64'), SSECustomerKeyMD5: md5 }))
    await c.send(new CopyObjectCommand({
      Bucket: 'enc', Key: 'c-dst', CopySource: 'enc/c-src', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'minio-default',
      CopySourceSSECustomerAlgorithm: 'AES256', CopySourceSSECustomerKey: key.toString('base64'), CopySourceSSECustomerKeyMD5: md5,
    }))
    expect((await bodyBytes(c.send(new GetObjectCommand({ Bucket: 'enc', Key: 'c-dst' })))).equals(data)).toBe(true)
    const noKey = await s3error(c.send(new CopyObjectCommand({ Bucket: 'enc', Key: 'c-dst2', CopySource: 'enc/c-src' })))
    expect(noKey.$metadata.httpStatusCode).toBe(400)

    const rot = await c.send(new CopyObjectCommand({ Bucket: 'enc', Key: 'c-dst', CopySource: 'enc/c-dst', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'rotated-to' }))
    expect(rot.SSEKMSKeyId).toBe('arn:aws:kms:rotated-to')
    const head = await c.send(new HeadObjectCommand({ Bucket: 'enc', Key: 'c-dst' }))
    expect(head.SSEKMSKeyId).toBe('arn:aws:kms:rotated-to')
    expect((await bodyBytes(c.send(new GetObjectCommand({ Bucket: 'enc', Key: 'c-dst' })))).equals(data)).toBe(true)
  })

  it('eight encrypted objects read at once, whole and in ranges, come back byte for byte', async () => {
    // GET decrypts from reused read buffers into reused output buffers (storage/range-writer.ts): a buffer
    // back in the pool too early would carry another GET's bytes. Sizes cross reads, packages and buffers.
    const c = store.client
    const bodies = Array.from({ length: 8 }, (_, i) => randomBytes(1_500_000 + 70_001 * i))
    md5Of.push(...bodies)
    await Promise.all(bodies.map((Body, i) => c.send(new PutObjectCommand({ Bucket: 'enc', Key: `many/${i}`, Body, ServerSideEncryption: 'aws:kms' }))))
    const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')
    for (const range of [undefined, 'bytes=458970-1048590']) {
      const got = await Promise.all(bodies.map((_, i) => bodyBytes(c.send(new GetObjectCommand({ Bucket: 'enc', Key: `many/${i}`, Range: range })))))
      expect(got.map(sha)).toEqual(bodies.map((b) => sha(range === undefined ? b : b.subarray(458_970, 1_048_591))))
    }
  }, 60_000)

  it('a flipped byte in stored ciphertext or sealed metadata fails the GET, never wrong bytes', async () => {
    const c = store.client
    const data = randomBytes(150_000)
    md5Of.push(data)
    await c.send(new PutObjectCommand({ Bucket: 'enc', Key: 'tamper', Body: data, ServerSideEncryption: 'aws:kms' }))
    const db = new Database(join(store.dataDir, 'keyhold-s3.db'))
    const row = db.prepare("SELECT id, internal FROM objects WHERE bucket='enc' AND key='tamper'").get() as { id: string; internal: string }
    const blob = (db.prepare('SELECT blob FROM object_parts WHERE object_id = ?').get(row.id) as { blob: string }).blob
    const file = files(join(store.dataDir, 'blobs')).find((f) => f.endsWith(blob))!
    const original = readFileSync(file)
    for (const pos of [0, 20, 70_000, original.length - 1]) {
      const bad = Buffer.from(original)
      bad[pos] = bad[pos]! ^ 0x01
      writeFileSync(file, bad)
      const got = await bodyBytes(c.send(new GetObjectCommand({ Bucket: 'enc', Key: 'tamper' }))).catch(() => undefined)
      expect(got === undefined || !got.equals(data)).toBe(true)
      if (got !== undefined) expect(data.subarray(0, got.length).equals(got)).toBe(true) // only authenticated prefix, never altered bytes
      expect(got?.length ?? 0).toBeLessThan(data.length)
    }
    writeFileSync(file, original)
    const meta = JSON.parse(row.internal) as Record<string, string>
    for (const name of ['X-Minio-Internal-Server-Side-Encryption-Kms-Sealed-Key', 'X-Minio-Internal-Server-Side-Encryption-S3-Kms-Sealed-Key', 'X-Minio-Internal-Server-Side-Encryption-Iv']) {
      const raw = Buffer.from(meta[name]!, 'base64')
      raw[3] = raw[3]! ^ 0x01
      db.prepare("UPDATE objects SET internal = ? WHERE bucket='enc' AND key='tamper'").run(JSON.stringify({ ...meta, [name]: raw.toString('base64') }))
      const e = await s3error(c.send(new GetObjectCommand({ Bucket: 'enc', Key: 'tamper' })))
      expect(e.$metadata.httpStatusCode).toBeGreaterThanOrEqual(400)
    }
    db.prepare("UPDATE objects SET internal = ? WHERE bucket='enc' AND key='tamper'").run(row.internal)
    db.close()
    expect((await bodyBytes(c.send(new GetObjectCommand({ Bucket: 'enc', Key: 'tamper' })))).equals(data)).toBe(true)
  })

  it('Keyhold down: encrypted PUT fails clearly and stores nothing; GET fails, then works when Keyhold is back', async () => {
    const c = store.client
    const data = randomBytes(1000)
    await c.send(new PutObjectCommand({ Bucket: 'enc', Key: 'before-outage', Body: data }))
    await kh.stop()
    try {
      const put = await s3error(c.send(new PutObjectCommand({ Bucket: 'enc', Key: 'during-outage', Body: data })))
      expect([put.$metadata.httpStatusCode, put.name, put.message]).toEqual([503, 'ServiceUnavailable', 'The KMS is unreachable; please retry the request once it is back'])
      const missing = await s3error(c.send(new HeadObjectCommand({ Bucket: 'enc', Key: 'during-outage' })))
      expect(missing.$metadata.httpStatusCode).toBe(404)
      const get = await s3error(c.send(new GetObjectCommand({ Bucket: 'enc', Key: 'before-outage' })))
      expect([get.$metadata.httpStatusCode, get.name]).toEqual([503, 'ServiceUnavailable'])
    } finally {
      await kh.start()
    }
    expect((await bodyBytes(c.send(new GetObjectCommand({ Bucket: 'enc', Key: 'before-outage' })))).equals(data)).toBe(true)
  })

  it('a key deleted in Keyhold gives a clear error, not a crash', async () => {
    const admin = await KesClient.create({ endpoints: [kh.url], certPem: kh.admin.certPem, keyPem: kh.admin.keyPem, ca: kh.ca.certPem })
    await admin.createKey('doomed')
    const c = store.client
    await c.send(new PutObjectCommand({ Bucket: 'enc', Key: 'doomed', Body: Buffer.from('x'), ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'doomed' }))
    await admin.deleteKey('doomed')
    admin.close()
    const e = await s3error(c.send(new GetObjectCommand({ Bucket: 'enc', Key: 'doomed' })))
    expect([e.$metadata.httpStatusCode, e.name, e.message]).toEqual([404, 'kms:KeyNotFound', 'key with given key ID does not exist'])
    const put = await s3error(c.send(new PutObjectCommand({ Bucket: 'enc', Key: 'doomed2', Body: Buffer.from('x'), ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'doomed' })))
    expect(put.$metadata.httpStatusCode).toBe(404)
  })

  it('DATA_DIR holds no plaintext, no keys and no plaintext MD5 (SQLite db and WAL included)', async () => {
    const all = files(store.dataDir)
    expect(all.some((f) => f.endsWith('.db-wal'))).toBe(true)
    const blobs = all.map((f) => readFileSync(f))
    const needles = secrets.flatMap((s) => [s.subarray(0, 32), s.subarray(s.length - 32)])
    needles.push(Buffer.from('customer-key protected payload'))
    for (const content of blobs) {
      for (const n of needles) {
        expect(content.includes(n)).toBe(false)
        expect(content.includes(Buffer.from(n.toString('base64')))).toBe(false)
        expect(content.includes(Buffer.from(n.toString('hex')))).toBe(false)
      }
      // SSE-S3 (single-part and multipart parts), SSE-KMS and SSE-C objects: ETags are stored sealed.
      for (const data of md5Of) {
        const sum = createHash('md5').update(data).digest()
        for (const form of [sum, Buffer.from(sum.toString('hex')), Buffer.from(sum.toString('hex').toUpperCase()), Buffer.from(sum.toString('base64'))]) {
          expect(content.includes(form)).toBe(false)
        }
      }
    }
  })
})
