/**
 * CompleteMultipartUpload checks the part checksums its body lists against the stored ones, as MinIO does
 * (cmd/erasure-multipart.go): only the upload's algorithm counts; a missing or different value is InvalidPart
 * and stores nothing; the upload survives and completes once the list is right.
 */
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { crc32 } from 'node:zlib'
import {
  CompleteMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command,
  PutObjectCommand, UploadPartCommand, type ChecksumAlgorithm, type CompletedPart, type S3Client,
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { describe, expect, it } from 'vitest'
import { crc32c } from '../../src/s3/checksum/checksum.js'
import { bodyBytes, s3error, useS3 } from '../helpers/s3.js'

const run = promisify(execFile)
const fx = useS3({ buckets: ['partsums'] })
const Bucket = 'partsums'
const MiB = 1024 * 1024
const INVALID_PART = 'One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part\'s entity tag.'

type Algo = 'CRC32' | 'CRC32C' | 'SHA256'
type Field = 'ChecksumCRC32' | 'ChecksumCRC32C' | 'ChecksumSHA256'
const field = (a: Algo): Field => `Checksum${a}`

/** A part's checksum as S3 shows it: base64 of the big-endian CRC or of the digest. */
function sumOf(algorithm: Algo, data: Buffer): string {
  if (algorithm === 'SHA256') return createHash('sha256').update(data).digest('base64')
  const out = Buffer.alloc(4)
  out.writeUInt32BE(algorithm === 'CRC32' ? crc32(data) : crc32c(data))
  return out.toString('base64')
}

/** The composite checksum of an object from its parts' checksums, with its -N suffix. */
function compositeOf(algorithm: Algo, sums: string[]): string {
  const raw = Buffer.concat(sums.map((s) => Buffer.from(s, 'base64')))
  return `${sumOf(algorithm, raw)}-${sums.length}`
}

/** create an upload with `algorithm` and upload `parts` with the SDK computing each part's checksum. */
async function uploadParts(s3: S3Client, Key: string, algorithm: Algo, parts: Buffer[]) {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key, ChecksumAlgorithm: algorithm }))
  const done: CompletedPart[] = []
  for (const [i, Body] of parts.entries()) {
    const r = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: i + 1, Body, ChecksumAlgorithm: algorithm }))
    expect(r[field(algorithm)]).toBe(sumOf(algorithm, Body))
    done.push({ PartNumber: i + 1, ETag: r.ETag, [field(algorithm)]: r[field(algorithm)] })
  }
  return { UploadId: UploadId!, done }
}

function complete(s3: S3Client, Key: string, UploadId: string, Parts: CompletedPart[]) {
  return s3.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts } }))
}

/** expectInvalidPart asserts MinIO's InvalidPart answer and that no object appeared under Key. */
async function expectInvalidPart(s3: S3Client, Key: string, p: Promise<unknown>): Promise<void> {
  const err = await s3error(p)
  expect([err.name, err.$metadata.httpStatusCode, err.message]).toEqual(['InvalidPart', 400, INVALID_PART])
  expect((await s3error(s3.send(new HeadObjectCommand({ Bucket, Key })))).$metadata.httpStatusCode).toBe(404)
  const listed = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: Key }))
  expect(listed.KeyCount).toBe(0)
}

describe('CompleteMultipartUpload checks the listed part checksums', () => {
  it('CRC32 (AWS SDK): right ones complete; one wrong one is InvalidPart with nothing stored; corrected, the same upload completes', async () => {
    const s3 = fx.client()
    const parts = [randomBytes(5 * MiB), randomBytes(4321)]
    const whole = Buffer.concat(parts)
    const sums = parts.map((p) => sumOf('CRC32', p))

    const good = await uploadParts(s3, 'crc32-good', 'CRC32', parts)
    const ok = await complete(s3, 'crc32-good', good.UploadId, good.done)
    expect(ok.ChecksumCRC32).toBe(compositeOf('CRC32', sums))
    expect((await bodyBytes(s3.send(new GetObjectCommand({ Bucket, Key: 'crc32-good' })))).equals(whole)).toBe(true)

    const Key = 'crc32-wrong'
    const { UploadId, done } = await uploadParts(s3, Key, 'CRC32', parts)
    // A well-formed CRC32, but part 1's, listed for part 2.
    await expectInvalidPart(s3, Key, complete(s3, Key, UploadId, [done[0]!, { ...done[1]!, ChecksumCRC32: sums[0] }]))
    const fixed = await complete(s3, Key, UploadId, done)
    expect(fixed.ChecksumCRC32).toBe(compositeOf('CRC32', sums))
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key, ChecksumMode: 'ENABLED' }))
    expect([head.ChecksumCRC32, head.ContentLength]).toEqual([compositeOf('CRC32', sums), whole.length])
    expect((await bodyBytes(s3.send(new GetObjectCommand({ Bucket, Key })))).equals(whole)).toBe(true)
  })

  it('CRC32: an omitted part checksum, or one of another algorithm only, is InvalidPart; other algorithms beside the right one are ignored', async () => {
    const s3 = fx.client()
    const Key = 'crc32-omitted'
    const parts = [randomBytes(5 * MiB), randomBytes(10)]
    const { UploadId, done } = await uploadParts(s3, Key, 'CRC32', parts)
    const bare = done.map(({ PartNumber, ETag }) => ({ PartNumber, ETag }))
    await expectInvalidPart(s3, Key, complete(s3, Key, UploadId, [done[0]!, bare[1]!]))
    // The part's true SHA-256 does not stand in for the CRC32 the upload was created with.
    const sha = parts.map((p) => sumOf('SHA256', p))
    await expectInvalidPart(s3, Key, complete(s3, Key, UploadId, [done[0]!, { ...bare[1]!, ChecksumSHA256: sha[1] }]))
    // As in MinIO, elements of algorithms other than the upload's are not read, even when wrong.
    const ok = await complete(s3, Key, UploadId, done.map((p) => ({ ...p, ChecksumSHA256: sha[0], ChecksumCRC32C: 'AAAAAA==' })))
    expect(ok.ChecksumCRC32).toBe(compositeOf('CRC32', parts.map((p) => sumOf('CRC32', p))))
  })

  it('SHA256 (AWS SDK): a wrong listed digest is InvalidPart, the right ones complete the same upload', async () => {
    const s3 = fx.client()
    const Key = 'sha256'
    const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(1)]
    const sums = parts.map((p) => sumOf('SHA256', p))
    const { UploadId, done } = await uploadParts(s3, Key, 'SHA256', parts)
    // The first part's digest with one bit flipped.
    const flipped = Buffer.from(sums[0]!, 'base64')
    flipped[0]! ^= 1
    await expectInvalidPart(s3, Key, complete(s3, Key, UploadId, [{ ...done[0]!, ChecksumSHA256: flipped.toString('base64') }, done[1]!, done[2]!]))
    const ok = await complete(s3, Key, UploadId, done)
    expect(ok.ChecksumSHA256).toBe(compositeOf('SHA256', sums))
  })

  it.each(['CRC32C', 'SHA256'] as const)('lib-storage Upload with ChecksumAlgorithm %s lists the part checksums and completes', async (algorithm: Algo) => {
    const s3 = fx.client()
    const Key = `lib-${algorithm}`
    const body = randomBytes(5 * MiB + 999)
    const up = new Upload({ client: s3, params: { Bucket, Key, Body: body, ChecksumAlgorithm: algorithm as ChecksumAlgorithm }, partSize: 5 * MiB, queueSize: 1 })
    const done = await up.done()
    expect(done[field(algorithm)]).toBe(compositeOf(algorithm, [sumOf(algorithm, body.subarray(0, 5 * MiB)), sumOf(algorithm, body.subarray(5 * MiB))]))
    expect((await bodyBytes(s3.send(new GetObjectCommand({ Bucket, Key })))).equals(body)).toBe(true)
  })

  it('an upload created without an algorithm does not read listed part checksums', async () => {
    const s3 = fx.client()
    const Key = 'no-algorithm'
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }))
    const r = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: 'one part' }))
    const ok = await complete(s3, Key, UploadId!, [{ PartNumber: 1, ETag: r.ETag, ChecksumCRC32: 'AAAAAA==', ChecksumSHA256: 'not a digest' }])
    expect([ok.ChecksumCRC32, ok.ChecksumSHA256]).toEqual([undefined, undefined])
    expect((await bodyBytes(s3.send(new GetObjectCommand({ Bucket, Key })))).toString()).toBe('one part')
  })

  it('boto3 managed copy with ChecksumAlgorithm CRC32 (UploadPartCopy) lists each copied part\'s CRC32 from CopyPartResult', async () => {
    const s3 = fx.client()
    const source = randomBytes(6 * MiB)
    await s3.send(new PutObjectCommand({ Bucket, Key: 'copy-source', Body: source }))
    // s3transfer copies in ranges (CreateMultipartUpload, UploadPartCopy, Complete) above multipart_threshold.
    const script = `
import boto3, sys
from boto3.s3.transfer import TransferConfig
s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1')
cfg = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024, max_concurrency=1)
s3.copy({'Bucket': 'partsums', 'Key': 'copy-source'}, 'partsums', 'copy-target', ExtraArgs={'ChecksumAlgorithm': 'CRC32'}, Config=cfg)
print(s3.head_object(Bucket='partsums', Key='copy-target', ChecksumMode='ENABLED')['ChecksumCRC32'])
`
    const out = await run('python3', ['-c', script, fx.server.url], { env: fx.env(), timeout: 60_000 })
    const sums = [source.subarray(0, 5 * MiB), source.subarray(5 * MiB)].map((p) => sumOf('CRC32', p))
    expect(out.stdout.trim()).toBe(compositeOf('CRC32', sums))
    expect((await bodyBytes(s3.send(new GetObjectCommand({ Bucket, Key: 'copy-target' })))).equals(source)).toBe(true)
  }, 60_000)
})
