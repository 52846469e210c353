import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { request } from 'node:https'
import { Transform, type TransformCallback } from 'node:stream'
import {
  CompleteMultipartUploadCommand, CopyObjectCommand, CreateBucketCommand, CreateMultipartUploadCommand, GetObjectCommand,
  ListBucketsCommand, PutObjectCommand, S3ServiceException, UploadPartCommand,
} from '@aws-sdk/client-s3'
import { Router } from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuthzRequest, ObjectCrypto, PartSizes, ReadContext, WriteContext } from '../../src/s3/extensions.js'
import { s3err } from '../../src/s3/api/errors.js'
import { startS3, ROOT_PASSWORD, ROOT_USER, type S3Fixture } from '../helpers/s3.js'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

// A toy cipher for exercising the hook contract: each part is stored as a 4-byte header + bytes XOR 0x5a.
const HEADER = Buffer.from('XOR!')

class Xor extends Transform {
  private headerDone = false
  constructor(private readonly header: boolean) {
    super()
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    if (this.header && !this.headerDone) {
      this.push(HEADER)
      this.headerDone = true
    }
    cb(null, Buffer.from(chunk.map((b) => b ^ 0x5a)))
  }
  override _flush(cb: TransformCallback): void {
    if (this.header && !this.headerDone) this.push(HEADER)
    cb()
  }
}

/** Decodes whole stored parts and emits exactly plaintext [start, end]. */
class Unxor extends Transform {
  private partIndex = 0
  private inPart = 0
  private plainPos = 0
  constructor(private readonly parts: PartSizes[], private readonly first: number, private readonly last: number) {
    super()
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    for (const byte of chunk) {
      const part = this.parts[this.partIndex]!
      if (this.inPart >= HEADER.length) {
        if (this.plainPos >= this.first && this.plainPos <= this.last) this.push(Buffer.of(byte ^ 0x5a))
        this.plainPos++
      }
      this.inPart++
      if (this.inPart === part.storedSize) {
        this.partIndex++
        this.inPart = 0
      }
    }
    cb()
  }
}

const writes: WriteContext[] = []
const authz: AuthzRequest[] = []
const crypto: ObjectCrypto = {
  write(ctx) {
    writes.push(ctx)
    if (ctx.headers['x-test-refuse'] !== undefined) return Promise.reject(s3err('NotImplemented', 'Server side encryption specified but KMS is not configured'))
    if (ctx.operation === 'create-multipart-upload') return Promise.resolve({ internal: { scheme: 'xor', multipart: true } })
    if (ctx.operation === 'complete-multipart-upload') return Promise.resolve({ responseHeaders: { 'x-amz-server-side-encryption': 'AES256' } })
    return Promise.resolve({
      transform: new Xor(true), internal: { scheme: 'xor' }, responseHeaders: { 'x-amz-server-side-encryption': 'AES256' },
      finish: (r) => Promise.resolve({ etag: `xor${r.md5Hex.slice(3)}`, internal: { scheme: 'xor', plain: r.plainSize, stored: r.storedSize } }),
    })
  },
  read(ctx: ReadContext) {
    const range = ctx.range ?? { start: 0, end: ctx.plainSize - 1 }
    return Promise.resolve({
      storedRange: { start: 0, end: ctx.storedSize - 1 },
      transform: new Unxor(ctx.parts, range.start, range.end),
      responseHeaders: { 'x-amz-server-side-encryption': 'AES256' },
    })
  },
}

let fx: S3Fixture

beforeAll(async () => {
  fx = await startS3({
    crypto,
    credentials: {
      lookup: (ak) => Promise.resolve(
        ak === ROOT_USER ? { accessKey: ak, secretKey: ROOT_PASSWORD, principal: { kind: 'root', accessKey: ak } }
          : ak === 'alice' ? { accessKey: ak, secretKey: 'alice-secret-123', principal: { kind: 'user', accessKey: ak } }
            : ak === 'disabled' ? { accessKey: ak, secretKey: 'x-secret-1234', principal: { kind: 'user', accessKey: ak }, disabled: true }
              : undefined),
    },
    authorizer: {
      authorize(req) {
        authz.push(req)
        if (req.principal?.kind === 'root') return Promise.resolve(true)
        return Promise.resolve(req.principal?.accessKey === 'alice' && req.action === 's3:GetObject' && req.key?.startsWith('public/') === true)
      },
    },
    extraRoutes: [{
      prefix: '/minio/admin/v3',
      router: (ext) => {
        const r = Router()
        r.post('/echo', async (req, res) => {
          try {
            const who = await ext.authenticate(req)
            res.json({ user: who.credential?.accessKey, body: who.body.toString() })
          } catch (err) {
            res.status(403).json({ error: (err as Error).message })
          }
        })
        return r
      },
    }],
    subresources: {
      encryption: (req) => {
        if (req.method === 'PUT') req.bucketConfig.set(req.bucket, 'encryption', req.body.toString())
        const value = req.bucketConfig.get(req.bucket, 'encryption')
        return Promise.resolve(value === undefined ? { status: 404 } : { status: 200, body: value, headers: { 'content-type': 'application/xml' } })
      },
    },
  })
  await fx.client().send(new CreateBucketCommand({ Bucket: 'hooks' }))
})
afterAll(async () => {
  await fx?.close()
})

describe('extension hooks', () => {
  it('object crypto: writes through the transform, reads ranges back, persists internal metadata', async () => {
    const s3 = fx.client()
    const body = randomBytes(50_000)
    const put = await s3.send(new PutObjectCommand({ Bucket: 'hooks', Key: 'enc', Body: body }))
    expect(put.ETag).toMatch(/^"xor/)
    expect(put.ServerSideEncryption).toBe('AES256')
    // What is on disk is the stored form, not the plaintext.
    const files = readdirSync(join(fx.dataDir, 'blobs')).flatMap((d) => readdirSync(join(fx.dataDir, 'blobs', d)).map((f) => join(fx.dataDir, 'blobs', d, f)))
    const stored = files.map((f) => readFileSync(f)).find((b) => b.length === body.length + 4)!
    expect(stored.subarray(0, 4).equals(HEADER)).toBe(true)
    expect(stored.subarray(4).equals(body)).toBe(false)
    const got = await s3.send(new GetObjectCommand({ Bucket: 'hooks', Key: 'enc' }))
    expect(got.ServerSideEncryption).toBe('AES256')
    expect(got.ContentLength).toBe(body.length)
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true)
    const ranged = await s3.send(new GetObjectCommand({ Bucket: 'hooks', Key: 'enc', Range: 'bytes=1000-1999' }))
    expect(Buffer.from(await ranged.Body!.transformToByteArray()).equals(body.subarray(1000, 2000))).toBe(true)
    await s3.send(new CopyObjectCommand({ Bucket: 'hooks', Key: 'enc-copy', CopySource: 'hooks/enc' }))
    const copy = await s3.send(new GetObjectCommand({ Bucket: 'hooks', Key: 'enc-copy' }))
    expect(Buffer.from(await copy.Body!.transformToByteArray()).equals(body)).toBe(true)
    const copyWrite = writes.find((w) => w.operation === 'copy-object')!
    expect(copyWrite.source).toMatchObject({ bucket: 'hooks', key: 'enc', internal: { scheme: 'xor', plain: 50_000, stored: 50_004 } })
  })

  it('object crypto: multipart parts get the upload internal metadata and read back across parts', async () => {
    const s3 = fx.client()
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'hooks', Key: 'mp' }))
    const p1 = randomBytes(5 * 1024 * 1024)
    const p2 = randomBytes(1000)
    const e1 = await s3.send(new UploadPartCommand({ Bucket: 'hooks', Key: 'mp', UploadId, PartNumber: 1, Body: p1 }))
    const e2 = await s3.send(new UploadPartCommand({ Bucket: 'hooks', Key: 'mp', UploadId, PartNumber: 2, Body: p2 }))
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'hooks', Key: 'mp', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: e1.ETag }, { PartNumber: 2, ETag: e2.ETag }] } }))
    const partWrite = writes.find((w) => w.operation === 'upload-part' && w.upload?.partNumber === 2)!
    expect(partWrite.upload).toMatchObject({ uploadId: UploadId, internal: { scheme: 'xor', multipart: true } })
    const range = await s3.send(new GetObjectCommand({ Bucket: 'hooks', Key: 'mp', Range: `bytes=${p1.length - 5}-${p1.length + 4}` }))
    expect(Buffer.from(await range.Body!.transformToByteArray()).equals(Buffer.concat([p1.subarray(-5), p2.subarray(0, 5)]))).toBe(true)
  })

  it('a hook error is answered as that S3 error and nothing is stored', async () => {
    const s3 = fx.client()
    s3.middlewareStack.add((next) => (args) => {
      (args.request as { headers: Record<string, string> }).headers['x-test-refuse'] = '1'
      return next(args)
    }, { step: 'build' })
    const err = await s3.send(new PutObjectCommand({ Bucket: 'hooks', Key: 'refused', Body: 'x' })).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(S3ServiceException)
    expect((err as S3ServiceException).$metadata.httpStatusCode).toBe(501)
  })

  it('credentials and authorizer: users, disabled accounts, actions and conditions', async () => {
    await fx.client().send(new PutObjectCommand({ Bucket: 'hooks', Key: 'public/readme', Body: 'hello alice' }))
    const alice = fx.client({ credentials: { accessKeyId: 'alice', secretAccessKey: 'alice-secret-123' } })
    const got = await alice.send(new GetObjectCommand({ Bucket: 'hooks', Key: 'public/readme' }))
    expect(await got.Body!.transformToString()).toBe('hello alice')
    const denied = await alice.send(new PutObjectCommand({ Bucket: 'hooks', Key: 'public/x', Body: 'x' })).catch((e: S3ServiceException) => e)
    expect((denied as S3ServiceException).name).toBe('AccessDenied')
    const last = authz.at(-1)!
    expect(last).toMatchObject({ action: 's3:PutObject', bucket: 'hooks', key: 'public/x', principal: { kind: 'user', accessKey: 'alice' } })
    expect(last.conditions['aws:SecureTransport']).toEqual(['true'])
    expect(last.conditions['aws:SourceIp']).toEqual(['127.0.0.1'])
    const disabled = await fx.client({ credentials: { accessKeyId: 'disabled', secretAccessKey: 'x-secret-1234' } }).send(new ListBucketsCommand({})).catch((e: S3ServiceException) => e)
    expect((disabled as S3ServiceException).name).toBe('InvalidAccessKeyId')
    expect((disabled as S3ServiceException).message).toContain('disabled')
  })

  it('extra routes authenticate with SigV4, bucket subresources use the config store', async () => {
    const s3 = fx.client()
    const anonymous = await new Promise<number>((resolve, reject) => {
      const req = request(`${fx.server.url}/minio/admin/v3/echo`, { method: 'POST', ca: fx.pki.ca.certPem }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', reject)
      req.end('hi')
    })
    expect(anonymous).toBe(403)
    const body = '{"hello":"admin"}'
    const sha = createHash('sha256').update(body).digest('hex')
    const { stdout } = await promisify(execFile)('curl', ['-s', '--cacert', fx.pki.ca.certFile, '--aws-sigv4', 'aws:amz:us-east-1:s3',
      '--user', `${ROOT_USER}:${ROOT_PASSWORD}`, '-H', `x-amz-content-sha256: ${sha}`, '-X', 'POST', '--data-binary', body, `${fx.server.url}/minio/admin/v3/echo`])
    expect(JSON.parse(stdout)).toEqual({ user: ROOT_USER, body })
    const { stdout: tampered } = await promisify(execFile)('curl', ['-s', '--cacert', fx.pki.ca.certFile, '--aws-sigv4', 'aws:amz:us-east-1:s3',
      '--user', `${ROOT_USER}:${ROOT_PASSWORD}`, '-H', `x-amz-content-sha256: ${sha}`, '-X', 'POST', '--data-binary', body + ' ', `${fx.server.url}/minio/admin/v3/echo`])
    expect(tampered).toContain('error')
    const { PutBucketEncryptionCommand, GetBucketEncryptionCommand } = await import('@aws-sdk/client-s3')
    await s3.send(new PutBucketEncryptionCommand({ Bucket: 'hooks', ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] } }))
    const enc = await s3.send(new GetBucketEncryptionCommand({ Bucket: 'hooks' }))
    expect(enc.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe('AES256')
  })
})
