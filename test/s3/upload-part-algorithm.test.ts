/**
 * UploadPart on an upload created with a checksum algorithm refuses a part that carries no checksum of that
 * algorithm (another algorithm, or none), as MinIO's PutObjectPart does (cmd/erasure-multipart.go): 400
 * InvalidArgument with MinIO's text, before the body is read, so nothing is stored and an earlier part of the
 * same number survives.
 */
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { promisify } from 'node:util'
import { crc32 } from 'node:zlib'
import {
  CompleteMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand, ListPartsCommand, UploadPartCommand,
  type ChecksumAlgorithm, type S3Client,
} from '@aws-sdk/client-s3'
import { describe, expect, it } from 'vitest'
import { crc32c } from '../../src/s3/checksum/checksum.js'
import { bodyBytes, ROOT_PASSWORD, ROOT_USER, s3error, useS3 } from '../helpers/s3.js'

const run = promisify(execFile)
const fx = useS3({ buckets: ['partalgo'] })
const Bucket = 'partalgo'

/** MinIO's message: the upload named by its directory, sha256(bucket/key)/uploadId, then want and got. */
function refusal(Key: string, UploadId: string, want: string, got: string): string {
  const dir = createHash('sha256').update(`${Bucket}/${Key}`).digest('hex')
  return `Invalid arguments provided for ${Bucket}/${dir}/${UploadId}: (checksum missing, want "${want}", got "${got}")`
}

function crcOf(fn: (b: Buffer) => number, data: Buffer): string {
  const out = Buffer.alloc(4)
  out.writeUInt32BE(fn(data))
  return out.toString('base64')
}

/** withSentHeaders records the headers of every request `s3` sends, as they leave (after checksums and signing). */
function withSentHeaders(s3: S3Client): Record<string, string>[] {
  const sent: Record<string, string>[] = []
  s3.middlewareStack.add((next) => async (args) => {
    sent.push({ ...(args.request as { headers: Record<string, string> }).headers })
    return next(args)
  }, { step: 'deserialize', name: 'recordSentHeaders' })
  return sent
}

async function create(s3: S3Client, Key: string, ChecksumAlgorithm: ChecksumAlgorithm, full = false): Promise<string> {
  const r = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key, ChecksumAlgorithm, ...(full ? { ChecksumType: 'FULL_OBJECT' } : {}) }))
  return r.UploadId!
}

async function partsOf(s3: S3Client, Key: string, UploadId: string) {
  return (await s3.send(new ListPartsCommand({ Bucket, Key, UploadId }))).Parts ?? []
}

function blobCount(): number {
  const root = join(fx.dataDir, 'blobs')
  return readdirSync(root).reduce((n, d) => n + readdirSync(join(root, d)).length, 0)
}

/** expectRefused asserts MinIO's answer to a part without the upload's algorithm. */
async function expectRefused(p: Promise<unknown>, message: string): Promise<void> {
  const err = await s3error(p)
  expect([err.name, err.$metadata.httpStatusCode, err.message]).toEqual(['InvalidArgument', 400, message])
}

describe('UploadPart on an upload with a checksum algorithm', () => {
  it('AWS SDK: a CRC32 part on a CRC32C upload is refused and stores nothing; the CRC32C part is taken and completes', async () => {
    const s3 = fx.client()
    const sent = withSentHeaders(s3)
    const Key = 'crc32c/upload'
    const UploadId = await create(s3, Key, 'CRC32C')
    const body = randomBytes(300 * 1024)
    const before = blobCount()
    await expectRefused(s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: body, ChecksumAlgorithm: 'CRC32' })),
      refusal(Key, UploadId, 'CRC32C', 'CRC32'))
    expect(sent.at(-1)!['x-amz-checksum-crc32']).toBe(crcOf(crc32, body))
    expect(await partsOf(s3, Key, UploadId)).toEqual([])
    expect(blobCount()).toBeLessThanOrEqual(before)
    // The SDK's default (no ChecksumAlgorithm given) is CRC32 too: refused alike.
    await expectRefused(s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: body })),
      refusal(Key, UploadId, 'CRC32C', 'CRC32'))

    const ok = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: body, ChecksumAlgorithm: 'CRC32C' }))
    expect(ok.ChecksumCRC32C).toBe(crcOf(crc32c, body))
    const listed = await partsOf(s3, Key, UploadId)
    expect(listed.map((p) => [p.PartNumber, p.ETag, p.ChecksumCRC32C])).toEqual([[1, ok.ETag, ok.ChecksumCRC32C]])

    // A refused replacement leaves the stored part as it was.
    await expectRefused(s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: randomBytes(10), ChecksumAlgorithm: 'SHA256' })),
      refusal(Key, UploadId, 'CRC32C', 'SHA256'))
    expect((await partsOf(s3, Key, UploadId)).map((p) => [p.ETag, p.ChecksumCRC32C])).toEqual([[ok.ETag, ok.ChecksumCRC32C]])
    const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: ok.ETag, ChecksumCRC32C: ok.ChecksumCRC32C }] } }))
    expect(done.ChecksumCRC32C).toBe(`${crcOf(crc32c, Buffer.from(ok.ChecksumCRC32C!, 'base64'))}-1`)
    expect((await bodyBytes(s3.send(new GetObjectCommand({ Bucket, Key })))).equals(body)).toBe(true)
  })

  it('AWS SDK: a part with no checksum at all is refused (MinIO does not compute the upload\'s algorithm for it)', async () => {
    const s3 = fx.client({ requestChecksumCalculation: 'WHEN_REQUIRED' })
    const sent = withSentHeaders(s3)
    const Key = 'no-checksum'
    const UploadId = await create(s3, Key, 'CRC32C')
    await expectRefused(s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: 'no checksum here' })),
      refusal(Key, UploadId, 'CRC32C', ''))
    expect(Object.keys(sent.at(-1)!).filter((h) => h.startsWith('x-amz-checksum-') || h === 'x-amz-trailer')).toEqual([])
    expect(await partsOf(s3, Key, UploadId)).toEqual([])
  })

  it('AWS SDK: a checksum declared in x-amz-trailer counts by its algorithm', async () => {
    const s3 = fx.client()
    const sent = withSentHeaders(s3)
    const Key = 'trailer'
    const UploadId = await create(s3, Key, 'CRC32C')
    const body = randomBytes(70 * 1024)
    // A stream makes the SDK send aws-chunked with the checksum in a trailer.
    const streamed = (algorithm: ChecksumAlgorithm) => new UploadPartCommand({
      Bucket, Key, UploadId, PartNumber: 1, Body: Readable.from([body]), ContentLength: body.length, ChecksumAlgorithm: algorithm,
    })
    await expectRefused(s3.send(streamed('CRC32')), refusal(Key, UploadId, 'CRC32C', 'CRC32'))
    expect(sent.at(-1)!['x-amz-trailer']).toBe('x-amz-checksum-crc32')
    expect(await partsOf(s3, Key, UploadId)).toEqual([])
    const ok = await s3.send(streamed('CRC32C'))
    expect(sent.at(-1)!['x-amz-trailer']).toBe('x-amz-checksum-crc32c')
    expect(ok.ChecksumCRC32C).toBe(crcOf(crc32c, body))
    expect((await partsOf(s3, Key, UploadId)).map((p) => p.ChecksumCRC32C)).toEqual([crcOf(crc32c, body)])
  })

  it('a FULL_OBJECT CRC32 upload refuses a part without CRC32 too; an upload without an algorithm takes any part', async () => {
    const s3 = fx.client()
    const Key = 'full-object'
    const UploadId = await create(s3, Key, 'CRC32', true)
    await expectRefused(s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: 'x', ChecksumAlgorithm: 'CRC32C' })),
      refusal(Key, UploadId, 'CRC32', 'CRC32C'))
    const ok = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: 'x', ChecksumAlgorithm: 'CRC32' }))
    expect(ok.ChecksumCRC32).toBe(crcOf(crc32, Buffer.from('x')))

    const plain = (await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'plain' }))).UploadId!
    const bare = fx.client({ requestChecksumCalculation: 'WHEN_REQUIRED' })
    await bare.send(new UploadPartCommand({ Bucket, Key: 'plain', UploadId: plain, PartNumber: 1, Body: 'none' }))
    await s3.send(new UploadPartCommand({ Bucket, Key: 'plain', UploadId: plain, PartNumber: 2, Body: 'sha', ChecksumAlgorithm: 'SHA256' }))
    expect((await partsOf(s3, 'plain', plain)).map((p) => p.PartNumber)).toEqual([1, 2])
  })

  it('curl: naming the algorithm without a value is no checksum; the value header alone is enough', async () => {
    const s3 = fx.client()
    const Key = 'curl part'
    const UploadId = await create(s3, Key, 'SHA256')
    const data = 'raw part bytes'
    const put = async (headers: string[]) => {
      const args = ['-s', '--cacert', fx.pki.ca.certFile, '--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', `${ROOT_USER}:${ROOT_PASSWORD}`,
        '-X', 'PUT', '--data-binary', data, '-H', 'x-amz-content-sha256: UNSIGNED-PAYLOAD', ...headers.flatMap((h) => ['-H', h]),
        '-w', '\n%{http_code}', `${fx.server.url}/${Bucket}/curl%20part?partNumber=1&uploadId=${encodeURIComponent(UploadId)}`]
      const { stdout } = await run('curl', args)
      const at = stdout.lastIndexOf('\n')
      return { status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) }
    }
    for (const named of ['x-amz-sdk-checksum-algorithm: SHA256', 'x-amz-checksum-algorithm: SHA256']) {
      const r = await put([named])
      expect(r.status).toBe(400)
      expect(r.body).toContain('<Code>InvalidArgument</Code>')
      expect(r.body).toContain(`<Message>${refusal(Key, UploadId, 'SHA256', '').replaceAll('"', '&quot;')}</Message>`)
    }
    expect(await partsOf(s3, Key, UploadId)).toEqual([])
    const sha = createHash('sha256').update(data).digest('base64')
    const ok = await put([`x-amz-checksum-sha256: ${sha}`])
    expect(ok.status).toBe(200)
    expect((await partsOf(s3, Key, UploadId)).map((p) => p.ChecksumSHA256)).toEqual([sha])
  })
})
