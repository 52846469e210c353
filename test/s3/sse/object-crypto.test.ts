import { createHash, randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import { pipeline } from 'node:stream/promises'
import { describe, expect, it } from 'vitest'
import { S3Error } from '../../../src/s3/api/errors.js'
import type { BucketConfigStore, PartSizes, WriteContext } from '../../../src/s3/extensions.js'
import { SseObjectCrypto } from '../../../src/s3/sse/object-crypto.js'
import { DecryptStream } from '../../../src/s3/storage/decrypt-stream.js'
import { bucketEncryptionHandler } from '../../../src/s3/sse/bucket-encryption.js'
import { decryptedSize, encryptBuffer } from '../../../src/s3/sse/dare.js'
import { META } from '../../../src/s3/sse/metadata.js'
import { derivePartKey, unsealObjectKey } from '../../../src/s3/sse/object-key.js'
import { StaticKms } from './static-kms.js'

class MemConfig implements BucketConfigStore {
  readonly m = new Map<string, string>()
  get(b: string, n: string) { return this.m.get(`${b}/${n}`) }
  set(b: string, n: string, v: string) { this.m.set(`${b}/${n}`, v) }
  delete(b: string, n: string) { this.m.delete(`${b}/${n}`) }
  bucketExists() { return true }
}

interface Stored { bytes: Buffer; internal: unknown; etag: string; shownETag: string; plainSize: number; parts: PartSizes[]; multipart: boolean; headers: Record<string, string> }

async function through(t: NodeJS.ReadWriteStream | undefined, data: Buffer): Promise<Buffer> {
  if (t === undefined) return data
  const [out] = await Promise.all([buffer(t as unknown as Readable), pipeline(Readable.from([data]), t)])
  return out
}

function wctx(config: BucketConfigStore, headers: Record<string, string>, extra: Partial<WriteContext> = {}): WriteContext {
  return { operation: 'put-object', bucket: 'b', key: 'dir/o', headers, secure: true, bucketConfig: config, ...extra }
}

async function put(sse: SseObjectCrypto, config: BucketConfigStore, data: Buffer, headers: Record<string, string> = {}): Promise<Stored> {
  const plan = await sse.write(wctx(config, headers))
  const bytes = await through(plan?.transform, data)
  const md5Hex = createHash('md5').update(data).digest('hex')
  const fin = await plan?.finish?.({ plainSize: data.length, storedSize: bytes.length, md5Hex })
  return {
    bytes, internal: fin?.internal ?? plan?.internal, etag: fin?.etag ?? md5Hex, shownETag: fin?.clientETag ?? fin?.etag ?? md5Hex, plainSize: data.length,
    parts: [{ partNumber: 1, plainSize: data.length, storedSize: bytes.length, etag: md5Hex }], multipart: false, headers: plan?.responseHeaders ?? {},
  }
}

async function get(sse: SseObjectCrypto, s: Stored, headers: Record<string, string> = {}, range?: { start: number; end: number }): Promise<Buffer> {
  const r = range ?? { start: 0, end: s.plainSize - 1 }
  const plan = await sse.read({ bucket: 'b', key: 'dir/o', headers, secure: true, copySource: false, internal: s.internal, plainSize: s.plainSize, storedSize: s.bytes.length, parts: s.parts, multipart: s.multipart, range: r })
  const slice = plan.storedRange ? s.bytes.subarray(plan.storedRange.start, plan.storedRange.end + 1) : s.bytes
  return through(plan.decrypter && new DecryptStream(plan.decrypter), slice)
}

async function rejects(p: Promise<unknown>): Promise<S3Error> {
  try {
    await p
  } catch (e) {
    if (e instanceof S3Error) return e
    throw e
  }
  throw new Error('no error')
}

/** streamNonce is the 12-byte DARE stream nonce in the first package header (final flag cleared). */
function streamNonce(stored: Buffer): Buffer {
  const nonce = Buffer.from(stored.subarray(4, 16))
  nonce[0] = nonce[0]! & 0x7f
  return nonce
}

const ssecHeaders = (key: Buffer) => ({
  'x-amz-server-side-encryption-customer-algorithm': 'AES256',
  'x-amz-server-side-encryption-customer-key': key.toString('base64'),
  'x-amz-server-side-encryption-customer-key-md5': createHash('md5').update(key).digest('base64'),
})

describe('SseObjectCrypto', () => {
  it('SSE-S3 and SSE-KMS round-trip with MinIO metadata, headers and ETags', async () => {
    const kms = new StaticKms()
    const sse = new SseObjectCrypto({ kms })
    const cfg = new MemConfig()
    const data = randomBytes(300_000)
    const s3 = await put(sse, cfg, data, { 'x-amz-server-side-encryption': 'AES256' })
    expect(s3.headers).toEqual({ 'x-amz-server-side-encryption': 'AES256' })
    // Stored sealed (96 hex digits), shown as the MD5: at PUT, and through clientETags with one KMS decrypt.
    const md5 = createHash('md5').update(data).digest('hex')
    expect(s3.etag).toMatch(/^[0-9a-f]{96}$/)
    expect(s3.shownETag).toBe(md5)
    kms.calls.length = 0
    expect(await sse.clientETags({ bucket: 'b', key: 'dir/o', internal: s3.internal }, [s3.etag, md5])).toEqual([md5, md5])
    expect(kms.calls.length).toBe(1)
    // The GET that showed the ETag reads with that key: one KMS decrypt in all; the next GET needs its own.
    expect((await get(sse, s3)).equals(data)).toBe(true)
    expect(kms.calls.length).toBe(1)
    expect((await get(sse, s3)).equals(data)).toBe(true)
    expect(kms.calls.length).toBe(2)
    expect(Object.keys(s3.internal as object)).toContain('X-Minio-Internal-Server-Side-Encryption-S3-Sealed-Key')
    expect((s3.internal as Record<string, string>)['X-Minio-Internal-actual-size']).toBe('300000')
    expect(decryptedSize(s3.bytes.length)).toBe(data.length)
    expect((await get(sse, s3)).equals(data)).toBe(true)
    expect((await get(sse, s3, {}, { start: 70_000, end: 70_009 })).equals(data.subarray(70_000, 70_010))).toBe(true)

    const k = await put(sse, cfg, data, { 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': 'arn:aws:kms:my-key' })
    expect(k.headers).toEqual({ 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': 'arn:aws:kms:my-key' })
    expect(k.etag).toMatch(/^[0-9a-f]{96}$/)
    expect(k.shownETag).toBe(k.etag.slice(-32))
    expect(k.shownETag).not.toBe(md5)
    expect(await sse.clientETags({ bucket: 'b', key: 'dir/o', internal: k.internal }, [k.etag])).toEqual([k.shownETag])
    expect((k.internal as Record<string, string>)['X-Minio-Internal-Server-Side-Encryption-S3-Kms-Key-Id']).toBe('my-key')
    expect((await get(sse, k)).equals(data)).toBe(true)
    // One generate per PUT, one decrypt per GET.
    expect(kms.calls.filter((c) => c.startsWith('generate')).length).toBe(1)
  })

  it('HEAD needs no KMS call; GET with SSE-S3 headers is refused', async () => {
    const kms = new StaticKms()
    const sse = new SseObjectCrypto({ kms })
    const s = await put(sse, new MemConfig(), Buffer.from('hello'), { 'x-amz-server-side-encryption': 'AES256' })
    kms.calls.length = 0
    const head = await sse.read({ bucket: 'b', key: 'dir/o', headers: {}, secure: true, copySource: false, internal: s.internal, plainSize: 5, storedSize: s.bytes.length, parts: s.parts, multipart: false })
    expect(head.responseHeaders).toEqual({ 'x-amz-server-side-encryption': 'AES256' })
    expect(kms.calls).toEqual([])
    const e = await rejects(get(sse, s, { 'x-amz-server-side-encryption': 'AES256' }))
    expect(e.message).toBe('The encryption parameters are not applicable to this object.')
  })

  it('SSE-C: echoes, wrong key is 403 AccessDenied, missing key is 400', async () => {
    const sse = new SseObjectCrypto({})
    const key = randomBytes(32)
    const data = randomBytes(1000)
    const s = await put(sse, new MemConfig(), data, ssecHeaders(key))
    expect(s.headers['x-amz-server-side-encryption-customer-key-MD5']).toBe(createHash('md5').update(key).digest('base64'))
    expect((await get(sse, s, ssecHeaders(key))).equals(data)).toBe(true)
    const wrong = await rejects(get(sse, s, ssecHeaders(randomBytes(32))))
    expect([wrong.status, wrong.code]).toEqual([403, 'AccessDenied'])
    const missing = await rejects(get(sse, s))
    expect(missing.message).toMatch(/^The object was stored using a form of Server Side Encryption/)
  })

  it('refuses SSE-S3/KMS without a KMS (501), and fails the PUT before any byte when the KMS fails', async () => {
    const none = await rejects(new SseObjectCrypto({}).write(wctx(new MemConfig(), { 'x-amz-server-side-encryption': 'AES256' })))
    expect([none.status, none.code, none.message]).toEqual([501, 'NotImplemented', 'Server side encryption specified but KMS is not configured'])
    const kms = new StaticKms()
    const missing = await rejects(new SseObjectCrypto({ kms }).write(wctx(new MemConfig(), { 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': 'nope' })))
    expect([missing.status, missing.code]).toEqual([404, 'kms:KeyNotFound'])
    kms.down = true
    const down = await rejects(new SseObjectCrypto({ kms }).write(wctx(new MemConfig(), { 'x-amz-server-side-encryption': 'AES256' })))
    expect(down.status).toBe(500)
  })

  it('bucket default and auto-encryption apply only to writes without SSE headers', async () => {
    const kms = new StaticKms()
    const cfg = new MemConfig()
    const handler = bucketEncryptionHandler(kms)
    const body = Buffer.from('<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>arn:aws:kms:my-key</KMSMasterKeyID></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>')
    expect((await handler({ method: 'PUT', bucket: 'b', principal: null, headers: {}, body, bucketConfig: cfg })).status).toBe(200)
    const bad = await rejects(handler({ method: 'PUT', bucket: 'b', principal: null, headers: {}, body: Buffer.from(body.toString().replace('arn:aws:kms:my-key', 'missing')), bucketConfig: cfg }))
    expect(bad.code).toBe('kms:KeyNotFound')
    const sse = new SseObjectCrypto({ kms })
    expect((await put(sse, cfg, Buffer.from('x'))).headers['x-amz-server-side-encryption-aws-kms-key-id']).toBe('arn:aws:kms:my-key')
    expect((await put(sse, cfg, Buffer.from('x'), { 'x-amz-server-side-encryption': 'AES256' })).headers).toEqual({ 'x-amz-server-side-encryption': 'AES256' })
    expect((await handler({ method: 'DELETE', bucket: 'b', principal: null, headers: {}, body: Buffer.alloc(0), bucketConfig: cfg })).status).toBe(204)
    expect(await sse.write(wctx(cfg, {}))).toBeUndefined()
    const auto = new SseObjectCrypto({ kms, autoEncryption: true })
    expect((await put(auto, cfg, Buffer.from('x'))).headers['x-amz-server-side-encryption']).toBe('aws:kms')
    const notFound = await rejects(handler({ method: 'GET', bucket: 'b', principal: null, headers: {}, body: Buffer.alloc(0), bucketConfig: cfg }))
    expect([notFound.status, notFound.code]).toEqual([404, 'ServerSideEncryptionConfigurationNotFoundError'])
  })

  it('multipart: per-part keys and a fresh random nonce for every write of a part, ranges across parts', async () => {
    const kms = new StaticKms()
    const sse = new SseObjectCrypto({ kms })
    const cfg = new MemConfig()
    const create = await sse.write(wctx(cfg, { 'x-amz-server-side-encryption': 'aws:kms' }, { operation: 'create-multipart-upload' }))
    const internal = create!.internal
    const plain: Buffer[] = []
    const stored: Buffer[] = []
    const parts: PartSizes[] = []
    for (const [n, size] of [[1, 5 << 20], [2, 100_000]] as const) {
      const data = randomBytes(size)
      const up = { uploadId: 'u1', partNumber: n, internal }
      const a = await through((await sse.write(wctx(cfg, {}, { operation: 'upload-part', upload: up })))!.transform, data)
      const again = await through((await sse.write(wctx(cfg, {}, { operation: 'upload-part', upload: up })))!.transform, data)
      // A retried part shares the part key, never the nonce (nor, therefore, the keystream).
      expect(streamNonce(a).equals(streamNonce(again))).toBe(false)
      expect(a.subarray(16, 48).equals(again.subarray(16, 48))).toBe(false)
      plain.push(data)
      stored.push(a)
      parts.push({ partNumber: n, plainSize: size, storedSize: a.length, etag: '' })
    }
    const done = await sse.write(wctx(cfg, {}, { operation: 'complete-multipart-upload', upload: { uploadId: 'u1', internal } }))
    // Part ETags are stored sealed; Complete checks the client's against the last 32 hex digits UploadPart showed.
    const partPlan = await sse.write(wctx(cfg, {}, { operation: 'upload-part', upload: { uploadId: 'u1', partNumber: 1, internal } }))
    const part = await partPlan!.finish!({ plainSize: 1, storedSize: 33, md5Hex: 'd41d8cd98f00b204e9800998ecf8427e' })
    expect(part.etag).toMatch(/^[0-9a-f]{96}$/)
    expect(part.clientETag).toBe(part.etag!.slice(-32))
    expect(done!.clientPartETag!(part.etag!)).toBe(part.clientETag)
    expect(done!.clientPartETag!('d41d8cd98f00b204e9800998ecf8427e')).toBe('d41d8cd98f00b204e9800998ecf8427e')
    const fin = await done!.finish!({ plainSize: (5 << 20) + 100_000, storedSize: 0, md5Hex: '' })
    const s: Stored = { bytes: Buffer.concat(stored), internal: fin.internal, etag: '', shownETag: '', plainSize: (5 << 20) + 100_000, parts, multipart: true, headers: {} }
    expect((fin.internal as Record<string, string>)['X-Minio-Internal-Encrypted-Multipart']).toBe('')
    const all = Buffer.concat(plain)
    expect((await get(sse, s)).equals(all)).toBe(true)
    expect((await get(sse, s, {}, { start: (5 << 20) - 10, end: (5 << 20) + 10 })).equals(all.subarray((5 << 20) - 10, (5 << 20) + 11))).toBe(true)
  })

  it('a flipped byte in sealed metadata or ciphertext fails the GET', async () => {
    const sse = new SseObjectCrypto({ kms: new StaticKms() })
    const data = randomBytes(200_000)
    const s = await put(sse, new MemConfig(), data, { 'x-amz-server-side-encryption': 'aws:kms' })
    const meta = s.internal as Record<string, string>
    for (const name of ['X-Minio-Internal-Server-Side-Encryption-Iv', 'X-Minio-Internal-Server-Side-Encryption-Kms-Sealed-Key', 'X-Minio-Internal-Server-Side-Encryption-S3-Kms-Sealed-Key']) {
      const raw = Buffer.from(meta[name]!, 'base64')
      raw[5] = raw[5]! ^ 1
      await expect(get(sse, { ...s, internal: { ...meta, [name]: raw.toString('base64') } })).rejects.toThrow()
    }
    for (const pos of [3, 100, 65_600, s.bytes.length - 2]) {
      const bytes = Buffer.from(s.bytes)
      bytes[pos] = bytes[pos]! ^ 1
      await expect(get(sse, { ...s, bytes })).rejects.toThrow()
    }
  })

  it('parts written with the nonce earlier versions derived (SHA-256(uploadId ‖ part)[:12]) still read back', async () => {
    const sse = new SseObjectCrypto({})
    const cfg = new MemConfig()
    const key = randomBytes(32)
    const create = await sse.write(wctx(cfg, ssecHeaders(key), { operation: 'create-multipart-upload' }))
    const internal = create!.internal as Record<string, string>
    const objectKey = unsealObjectKey(Buffer.from(internal[META.ssecSealedKey]!, 'base64'), key, Buffer.from(internal[META.iv]!, 'base64'), 'SSE-C', 'b', 'dir/o')
    const legacyNonce = (n: number) => createHash('sha256').update(`u-old${n}`).digest().subarray(0, 12)
    // Part 1 as the old code stored it, part 2 written now (an upload that spans the upgrade).
    const p1 = randomBytes(5 << 20)
    const p2 = randomBytes(100_001)
    const s1 = encryptBuffer(derivePartKey(objectKey, 1), p1, legacyNonce(1))
    const plan2 = await sse.write(wctx(cfg, ssecHeaders(key), { operation: 'upload-part', upload: { uploadId: 'u-old', partNumber: 2, internal } }))
    const s2 = await through(plan2!.transform, p2)
    const done = await sse.write(wctx(cfg, {}, { operation: 'complete-multipart-upload', upload: { uploadId: 'u-old', internal } }))
    const fin = await done!.finish!({ plainSize: p1.length + p2.length, storedSize: s1.length + s2.length, md5Hex: '' })
    const s: Stored = {
      bytes: Buffer.concat([s1, s2]), internal: fin.internal, etag: '', shownETag: '', plainSize: p1.length + p2.length, multipart: true, headers: {},
      parts: [{ partNumber: 1, plainSize: p1.length, storedSize: s1.length, etag: '' }, { partNumber: 2, plainSize: p2.length, storedSize: s2.length, etag: '' }],
    }
    const all = Buffer.concat([p1, p2])
    expect((await get(sse, s, ssecHeaders(key))).equals(all)).toBe(true)
    expect((await get(sse, s, ssecHeaders(key), { start: p1.length - 5, end: p1.length + 5 })).equals(all.subarray(p1.length - 5, p1.length + 6))).toBe(true)
  })

  it('UploadPart or UploadPartCopy with an SSE-C key on an unencrypted upload is refused, not stored in plaintext', async () => {
    const sse = new SseObjectCrypto({ kms: new StaticKms() })
    const cfg = new MemConfig()
    const create = await sse.write(wctx(cfg, {}, { operation: 'create-multipart-upload' }))
    expect(create).toBeUndefined()
    const upload = { uploadId: 'u-plain', partNumber: 1, internal: undefined }
    for (const operation of ['upload-part', 'upload-part-copy'] as const) {
      const e = await rejects(sse.write(wctx(cfg, ssecHeaders(randomBytes(32)), { operation, upload })))
      expect([e.status, e.code, e.message]).toEqual([400, 'InvalidRequest', 'The encryption parameters are not applicable to this object.'])
      expect(await sse.write(wctx(cfg, {}, { operation, upload }))).toBeUndefined()
    }
    // The same answer as for the same part on an SSE-S3 upload.
    const s3 = await sse.write(wctx(cfg, { 'x-amz-server-side-encryption': 'AES256' }, { operation: 'create-multipart-upload' }))
    const e = await rejects(sse.write(wctx(cfg, ssecHeaders(randomBytes(32)), { operation: 'upload-part', upload: { ...upload, internal: s3!.internal } })))
    expect([e.status, e.code, e.message]).toEqual([400, 'InvalidRequest', 'The encryption parameters are not applicable to this object.'])
  })

  it('UploadPart with SSE-C and SSE-KMS/SSE-S3 headers at once is refused as PutObject refuses them', async () => {
    const sse = new SseObjectCrypto({ kms: new StaticKms() })
    const cfg = new MemConfig()
    const key = randomBytes(32)
    const create = await sse.write(wctx(cfg, ssecHeaders(key), { operation: 'create-multipart-upload' }))
    const upload = { uploadId: 'u-c', partNumber: 1, internal: create!.internal }
    const extras: Array<Record<string, string>> = [
      { 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': 'my-key' },
      { 'x-amz-server-side-encryption': 'AES256' },
    ]
    for (const extra of extras) {
      const headers = { ...ssecHeaders(key), ...extra }
      const put = await rejects(sse.write(wctx(cfg, headers)))
      expect([put.status, put.code, put.message]).toEqual([400, 'InvalidArgument', 'Server Side Encryption with Customer provided key is incompatible with the encryption method specified'])
      for (const operation of ['upload-part', 'upload-part-copy'] as const) {
        if (operation === 'upload-part-copy' && extra['x-amz-server-side-encryption'] === 'aws:kms') continue
        const part = await rejects(sse.write(wctx(cfg, headers, { operation, upload })))
        expect([part.status, part.code, part.message], operation).toEqual([put.status, put.code, put.message])
      }
    }
    // The part with the customer key alone is fine.
    expect((await sse.write(wctx(cfg, ssecHeaders(key), { operation: 'upload-part', upload })))?.transform).toBeDefined()
  })
})
