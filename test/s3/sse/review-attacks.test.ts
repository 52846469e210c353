/**
 * The attacks of the SSE security review (reproductions in /work/tmp/sse-attack/f_*.py), each tried the way an
 * attacker tries it first, against keyhold-s3 with a real Keyhold (no bucket default, auto-encryption off):
 * keystream reuse across re-uploads of a part, SSE-C parts stored in plaintext, conflicting SSE headers on
 * UploadPart, a `__proto__` KMS context pair, and conditional GET/HEAD answered without the customer key.
 */
import { createHash, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import {
  CompleteMultipartUploadCommand, CopyObjectCommand, CreateBucketCommand, CreateMultipartUploadCommand, GetObjectCommand, HeadObjectCommand,
  ListPartsCommand, PutObjectCommand, S3ServiceException, UploadPartCommand, UploadPartCopyCommand,
} from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bodyBytes, s3error } from '../../helpers/s3.js'
import { startKeyhold, type Keyhold } from './keyhold.js'
import { kesEnv, startStore, type Store } from './s3-helper.js'

const BUCKET = 'atk'
let kh: Keyhold
let store: Store

beforeAll(async () => {
  kh = await startKeyhold()
  store = await startStore(kesEnv(kh))
  await store.client.send(new CreateBucketCommand({ Bucket: BUCKET }))
  await store.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'copy-src', Body: Buffer.alloc(70_000, 'B') }))
})
afterAll(async () => {
  await store?.close()
  await kh?.stop()
})

function ssec(key: Buffer) {
  return { SSECustomerAlgorithm: 'AES256', SSECustomerKey: key.toString('base64'), SSECustomerKeyMD5: createHash('md5').update(key).digest('base64') }
}

/** withHeaders adds raw headers to a command before it is signed (for headers its input has no field for). */
function withHeaders<C extends { middlewareStack: object }>(command: C, headers: Record<string, string>): C {
  // Every command's stack takes this build step; only their input and output types differ.
  const stack = command.middlewareStack as PutObjectCommand['middlewareStack']
  stack.add((next) => (args) => {
    const request = args.request as { headers: Record<string, string> }
    Object.assign(request.headers, headers)
    return next(args)
  }, { step: 'build', name: 'reviewAttackHeaders' })
  return command
}

/** query runs one statement on the store's database (opened for this call only). */
function query<T>(sql: string, ...params: unknown[]): T | undefined {
  const db = new Database(join(store.dataDir, 'keyhold-s3.db'), { readonly: true })
  try {
    return db.prepare(sql).get(...params) as T | undefined
  } finally {
    db.close()
  }
}

/** storedPart reads the blob of an upload's part from DATA_DIR, as someone with the disk (or a backup) would. */
function storedPart(uploadId: string, partNumber: number): Buffer {
  const row = query<{ blob: string }>('SELECT blob FROM upload_parts WHERE upload_id = ? AND part_number = ?', uploadId, partNumber)
  return readFileSync(join(store.dataDir, 'blobs', row!.blob.slice(0, 2), row!.blob))
}

/** streamNonce is the DARE stream nonce of a stored stream's first package (final flag cleared). */
function streamNonce(stored: Buffer): Buffer {
  const nonce = Buffer.from(stored.subarray(4, 16))
  nonce[0] = nonce[0]! & 0x7f
  return nonce
}

function xor(a: Buffer, b: Buffer): Buffer {
  return Buffer.from(a.subarray(0, Math.min(a.length, b.length)).map((x, i) => x ^ b[i]!))
}

/** headersOf returns the response headers an S3 error came with. */
function headersOf(e: S3ServiceException): Record<string, string> {
  return (e.$response as { headers?: Record<string, string> } | undefined)?.headers ?? {}
}

describe('re-uploading a part never reuses its keystream', () => {
  const known = Buffer.alloc(70_000, 'A') // a plaintext the attacker knows (a template), over two packages
  const secret = Buffer.from('the real secret: wire 1,000,000 EUR to IBAN DE00 1234 5678 9012 3456 78 '.repeat(1000)).subarray(0, known.length)
  const key = randomBytes(32)

  it.each([
    ['SSE-C', ssec(key)],
    ['SSE-KMS', { ServerSideEncryption: 'aws:kms' as const }],
    ['SSE-S3', { ServerSideEncryption: 'AES256' as const }],
  ])('%s: UploadPart, UploadPartCopy and UploadPart again of part 1 take three nonces; XOR reveals nothing', async (kind, create) => {
    const c = store.client
    const Key = `nonce-${kind}`
    const partSse = kind === 'SSE-C' ? ssec(key) : {}
    const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key, ...create }))
    await c.send(new UploadPartCommand({ Bucket: BUCKET, Key, UploadId, PartNumber: 1, Body: known, ...partSse }))
    const ct1 = storedPart(UploadId!, 1) // the "old backup", read before the replacement makes it garbage
    await c.send(new UploadPartCopyCommand({ Bucket: BUCKET, Key, UploadId, PartNumber: 1, CopySource: `${BUCKET}/copy-src`, ...partSse }))
    const ct2 = storedPart(UploadId!, 1)
    const last = await c.send(new UploadPartCommand({ Bucket: BUCKET, Key, UploadId, PartNumber: 1, Body: secret, ...partSse }))
    const ct3 = storedPart(UploadId!, 1)
    expect([ct1.length, ct2.length, ct3.length]).toEqual([ct1.length, ct1.length, ct1.length])

    const nonces = new Set([ct1, ct2, ct3].map((ct) => streamNonce(ct).toString('hex')))
    expect(nonces.size).toBe(3)
    // With a repeated nonce, ciphertext XOR ciphertext XOR known plaintext is the new plaintext.
    const payload = (ct: Buffer) => ct.subarray(16, 16 + 65_536)
    const recovered = xor(xor(payload(ct1), payload(ct3)), known)
    expect(recovered.equals(secret.subarray(0, recovered.length))).toBe(false)
    expect(xor(payload(ct1), payload(ct3)).equals(xor(known, secret).subarray(0, 65_536))).toBe(false)

    await c.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: last.ETag }] } }))
    expect((await bodyBytes(c.send(new GetObjectCommand({ Bucket: BUCKET, Key, ...partSse })))).equals(secret)).toBe(true)
    const range = await bodyBytes(c.send(new GetObjectCommand({ Bucket: BUCKET, Key, Range: 'bytes=65530-65545', ...partSse })))
    expect(range.equals(secret.subarray(65_530, 65_546))).toBe(true)
  })
})

describe('SSE headers on UploadPart', () => {
  it('an SSE-C key on a part of an unencrypted upload is refused (400), nothing stored', async () => {
    const c = store.client
    const key = randomBytes(32)
    const secret = Buffer.from(`CUSTOMER-KEY-PROTECTED-SECRET-${randomBytes(4).toString('hex')}`)
    const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'plain-upload' }))
    const part = await s3error(c.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'plain-upload', UploadId, PartNumber: 1, Body: secret, ...ssec(key) })))
    expect([part.$metadata.httpStatusCode, part.name, part.message]).toEqual([400, 'InvalidRequest', 'The encryption parameters are not applicable to this object.'])
    const copy = await s3error(c.send(new UploadPartCopyCommand({ Bucket: BUCKET, Key: 'plain-upload', UploadId, PartNumber: 1, CopySource: `${BUCKET}/copy-src`, ...ssec(key) })))
    expect([copy.$metadata.httpStatusCode, copy.name, copy.message]).toEqual([400, 'InvalidRequest', 'The encryption parameters are not applicable to this object.'])
    expect((await c.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'plain-upload', UploadId }))).Parts ?? []).toEqual([])
    // The same part on an SSE-S3 upload gets the same answer.
    const s3 = await c.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'sse-s3-upload', ServerSideEncryption: 'AES256' }))
    const same = await s3error(c.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'sse-s3-upload', UploadId: s3.UploadId, PartNumber: 1, Body: secret, ...ssec(key) })))
    expect([same.$metadata.httpStatusCode, same.name, same.message]).toEqual([part.$metadata.httpStatusCode, part.name, part.message])
    // Without the key the part is stored, unencrypted as its upload says.
    await c.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'plain-upload', UploadId, PartNumber: 1, Body: secret }))
  })

  it('SSE-C with aws:kms and a key id on UploadPart is refused as PutObject refuses it', async () => {
    const c = store.client
    const key = randomBytes(32)
    const kms = { 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': 'minio-default' }
    const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'ssec-upload', ...ssec(key) }))
    const part = await s3error(c.send(withHeaders(new UploadPartCommand({ Bucket: BUCKET, Key: 'ssec-upload', UploadId, PartNumber: 1, Body: 'x', ...ssec(key) }), kms)))
    const put = await s3error(c.send(withHeaders(new PutObjectCommand({ Bucket: BUCKET, Key: 'ssec-put', Body: 'x', ...ssec(key) }), kms)))
    expect([put.$metadata.httpStatusCode, put.name, put.message])
      .toEqual([400, 'InvalidArgument', 'Server Side Encryption with Customer provided key is incompatible with the encryption method specified'])
    expect([part.$metadata.httpStatusCode, part.name, part.message]).toEqual([put.$metadata.httpStatusCode, put.name, put.message])
    expect((await c.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'ssec-upload', UploadId }))).Parts ?? []).toEqual([])
    // The customer key alone is accepted.
    await c.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'ssec-upload', UploadId, PartNumber: 1, Body: 'x', ...ssec(key) }))
  })
})

describe('SSE-KMS encryption context', () => {
  it('a "__proto__" pair is bound, stored and answered with the others', async () => {
    const c = store.client
    const asked = { ['__proto__']: 'tenant-A', purpose: 'payroll' }
    const json = '{"__proto__":"tenant-A","purpose":"payroll"}'
    expect(Object.keys(JSON.parse(json) as object)).toEqual(Object.keys(asked))
    const context = Buffer.from(json).toString('base64')
    const data = randomBytes(1000)
    const put = await c.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'ctx', Body: data, ServerSideEncryption: 'aws:kms', SSEKMSEncryptionContext: context }))
    expect(Buffer.from(put.SSEKMSEncryptionContext!, 'base64').toString()).toBe(json)
    const row = query<{ internal: string }>('SELECT internal FROM objects WHERE bucket = ? AND key = ?', BUCKET, 'ctx')!
    const internal = JSON.parse(row.internal) as Record<string, string>
    expect(Buffer.from(internal['X-Minio-Internal-Server-Side-Encryption-Context']!, 'base64').toString()).toBe(json)
    expect((await bodyBytes(c.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'ctx' })))).equals(data)).toBe(true)

    // Bound: the data key does not open under the context without the pair.
    const db = new Database(join(store.dataDir, 'keyhold-s3.db'))
    try {
      const without = { ...internal, 'X-Minio-Internal-Server-Side-Encryption-Context': Buffer.from('{"purpose":"payroll"}').toString('base64') }
      db.prepare('UPDATE objects SET internal = ? WHERE bucket = ? AND key = ?').run(JSON.stringify(without), BUCKET, 'ctx')
      const e = await s3error(c.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'ctx' })))
      expect(e.$metadata.httpStatusCode).toBeGreaterThanOrEqual(400)
    } finally {
      db.prepare('UPDATE objects SET internal = ? WHERE bucket = ? AND key = ?').run(row.internal, BUCKET, 'ctx')
      db.close()
    }
    expect((await bodyBytes(c.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'ctx' })))).equals(data)).toBe(true)
  })
})

describe('GET/HEAD of an SSE-C object without its key', () => {
  const key = randomBytes(32)
  const wrong = randomBytes(32)
  let etag: string

  beforeAll(async () => {
    etag = (await store.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'ssec-obj', Body: 'secret', ...ssec(key) }))).ETag!
  })

  it.each([
    ['no key', {}, 400],
    ['a wrong key', ssec(wrong), 403],
  ])('with %s: refused before any condition, with no ETag or Last-Modified', async (_, sse, status) => {
    const c = store.client
    const conditions = [{}, { IfNoneMatch: '*' }, { IfNoneMatch: etag }, { IfMatch: '"0123456789abcdef0123456789abcdef"' }, { IfModifiedSince: new Date(Date.now() + 86_400_000) }, { IfUnmodifiedSince: new Date(0) }]
    for (const condition of conditions) {
      const input = { Bucket: BUCKET, Key: 'ssec-obj', ...sse, ...condition }
      for (const [name, request] of [['GET', () => c.send(new GetObjectCommand(input))], ['HEAD', () => c.send(new HeadObjectCommand(input))]] as const) {
        const e = await s3error(request())
        const what = `${name} ${JSON.stringify(condition)}`
        expect(e.$metadata.httpStatusCode, what).toBe(status)
        expect(headersOf(e).etag, what).toBeUndefined()
        expect(headersOf(e)['last-modified'], what).toBeUndefined()
      }
    }
  })

  it.each([
    ['no key', {}, 400],
    ['a wrong key', { CopySourceSSECustomerAlgorithm: 'AES256', CopySourceSSECustomerKey: wrong.toString('base64'), CopySourceSSECustomerKeyMD5: createHash('md5').update(wrong).digest('base64') }, 403],
  ])('a copy with %s for the source is refused before its x-amz-copy-source-if-* conditions', async (_, sse, status) => {
    const conditions = [{ CopySourceIfMatch: '"0123456789abcdef0123456789abcdef"' }, { CopySourceIfNoneMatch: etag }, { CopySourceIfUnmodifiedSince: new Date(0) }]
    for (const condition of conditions) {
      const e = await s3error(store.client.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'copied', CopySource: `${BUCKET}/ssec-obj`, ...sse, ...condition })))
      expect(e.$metadata.httpStatusCode, JSON.stringify(condition)).toBe(status)
    }
  })

  it('with its key, conditions are answered as before', async () => {
    const c = store.client
    const notModified = await s3error(c.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'ssec-obj', IfNoneMatch: '*', ...ssec(key) })))
    expect(notModified.$metadata.httpStatusCode).toBe(304)
    expect(headersOf(notModified).etag).toBe(etag)
    const failed = await s3error(c.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'ssec-obj', IfMatch: '"0123456789abcdef0123456789abcdef"', ...ssec(key) })))
    expect(failed.$metadata.httpStatusCode).toBe(412)
    expect((await bodyBytes(c.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'ssec-obj', IfMatch: etag, ...ssec(key) })))).toString()).toBe('secret')
  })
})
