import { createHash, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand,
  GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, ListPartsCommand, PutObjectCommand,
  UploadPartCommand, UploadPartCopyCommand,
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { s3error, useS3 } from '../helpers/s3.js'

const fx = useS3({ buckets: ['mpu'] })
const MiB = 1024 * 1024

function md5(b: Buffer): Buffer {
  return createHash('md5').update(b).digest()
}

describe('multipart uploads', () => {
  it('uploads with lib-storage (default checksums) and reads back with an md5-N ETag', async () => {
    const s3 = fx.client()
    const body = randomBytes(12 * MiB + 123)
    const up = new Upload({ client: s3, params: { Bucket: 'mpu', Key: 'big.bin', Body: body }, partSize: 5 * MiB, queueSize: 2 })
    const done = await up.done()
    const parts = [body.subarray(0, 5 * MiB), body.subarray(5 * MiB, 10 * MiB), body.subarray(10 * MiB)]
    const expected = createHash('md5').update(Buffer.concat(parts.map(md5))).digest('hex') + '-3'
    expect(done.ETag).toBe(`"${expected}"`)
    const got = await s3.send(new GetObjectCommand({ Bucket: 'mpu', Key: 'big.bin' }))
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true)
    const range = await s3.send(new GetObjectCommand({ Bucket: 'mpu', Key: 'big.bin', Range: `bytes=${5 * MiB - 10}-${5 * MiB + 9}` }))
    expect(Buffer.from(await range.Body!.transformToByteArray()).equals(body.subarray(5 * MiB - 10, 5 * MiB + 10))).toBe(true)
    const part2 = await s3.send(new HeadObjectCommand({ Bucket: 'mpu', Key: 'big.bin', PartNumber: 2 }))
    expect(part2.ContentLength).toBe(5 * MiB)
    expect(part2.PartsCount).toBe(3)
  })

  it('a part list of 10,000 checksummed parts (about 1.5 MB) is read, not refused as too large', async () => {
    const s3 = fx.client()
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'mpu', Key: 'many', ChecksumAlgorithm: 'SHA256' }))
    const Parts = Array.from({ length: 10_000 }, (_, i) => ({
      PartNumber: i + 1, ETag: `"${'0'.repeat(32)}"`, ChecksumSHA256: createHash('sha256').update(String(i)).digest('base64'),
    }))
    // The parts do not exist: reading the whole list is what is tested, and the answer is InvalidPart.
    const err = await s3error(s3.send(new CompleteMultipartUploadCommand({ Bucket: 'mpu', Key: 'many', UploadId, MultipartUpload: { Parts } })))
    expect([err.$metadata.httpStatusCode, err.name]).toEqual([400, 'InvalidPart'])
    await s3.send(new AbortMultipartUploadCommand({ Bucket: 'mpu', Key: 'many', UploadId }))
  })

  it('ListMultipartUploads pages through every upload once, many of one key and common prefixes alike', async () => {
    const s3 = fx.client()
    await s3.send(new CreateBucketCommand({ Bucket: 'mpu-list' }))
    const ids = new Set<string>()
    for (let i = 0; i < 12; i++) ids.add((await s3.send(new CreateMultipartUploadCommand({ Bucket: 'mpu-list', Key: 'same' }))).UploadId!)
    for (const Key of ['d/1', 'd/2', 'd/3', 'e']) await s3.send(new CreateMultipartUploadCommand({ Bucket: 'mpu-list', Key }))
    const page = async (Delimiter?: string) => {
      const seen: string[] = []
      let KeyMarker: string | undefined
      let UploadIdMarker: string | undefined
      for (let n = 0; n < 40; n++) {
        const r = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'mpu-list', MaxUploads: 1, Delimiter, KeyMarker, UploadIdMarker }))
        seen.push(...(r.Uploads ?? []).map((u) => `${u.Key}#${u.UploadId}`), ...(r.CommonPrefixes ?? []).map((p) => p.Prefix!))
        if (r.IsTruncated !== true) return seen
        KeyMarker = r.NextKeyMarker
        UploadIdMarker = r.NextUploadIdMarker
      }
      throw new Error('paging did not end')
    }
    const all = await page()
    expect(all).toHaveLength(16)
    expect(new Set(all.filter((s) => s.startsWith('same#')).map((s) => s.slice(5)))).toEqual(ids)
    const rolled = await page('/')
    expect(rolled.map((s) => s.split('#')[0])).toEqual(['d/', 'e', ...Array(12).fill('same')])
  })

  it('lists, copies parts, checks order and size rules, and aborts', async () => {
    const s3 = fx.client()
    await s3.send(new PutObjectCommand({ Bucket: 'mpu', Key: 'source', Body: randomBytes(6 * MiB) }))
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'mpu', Key: 'copied', ChecksumAlgorithm: 'CRC32C' }))
    const p1 = await s3.send(new UploadPartCopyCommand({ Bucket: 'mpu', Key: 'copied', UploadId, PartNumber: 1, CopySource: 'mpu/source', CopySourceRange: `bytes=0-${5 * MiB - 1}` }))
    const p2 = await s3.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'copied', UploadId, PartNumber: 2, Body: 'tail', ChecksumAlgorithm: 'CRC32C' }))
    // A CRC32C upload takes only parts that carry a CRC32C (MinIO refuses the SDK's default CRC32 at UploadPart).
    const small = await s3.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'copied', UploadId, PartNumber: 3, Body: 'x', ChecksumAlgorithm: 'CRC32C' }))
    const listed = await s3.send(new ListPartsCommand({ Bucket: 'mpu', Key: 'copied', UploadId }))
    expect(listed.Parts?.map((p) => [p.PartNumber, p.Size])).toEqual([[1, 5 * MiB], [2, 4], [3, 1]])
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'mpu' }))
    expect(uploads.Uploads?.map((u) => u.UploadId)).toContain(UploadId)
    const order = await s3error(s3.send(new CompleteMultipartUploadCommand({ Bucket: 'mpu', Key: 'copied', UploadId,
      MultipartUpload: { Parts: [{ PartNumber: 2, ETag: p2.ETag }, { PartNumber: 1, ETag: p1.CopyPartResult!.ETag }] } })))
    expect(order.name).toBe('InvalidPartOrder')
    const tooSmall = await s3error(s3.send(new CompleteMultipartUploadCommand({ Bucket: 'mpu', Key: 'copied', UploadId,
      MultipartUpload: { Parts: [{ PartNumber: 2, ETag: p2.ETag, ChecksumCRC32C: p2.ChecksumCRC32C }, { PartNumber: 3, ETag: small.ETag }] } })))
    expect(tooSmall.name).toBe('EntityTooSmall')
    const wrongEtag = await s3error(s3.send(new CompleteMultipartUploadCommand({ Bucket: 'mpu', Key: 'copied', UploadId,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"00000000000000000000000000000000"' }] } })))
    expect(wrongEtag.name).toBe('InvalidPart')
    // A CRC32C upload's parts are listed with their CRC32C (the copied part's as ListParts shows it).
    const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'mpu', Key: 'copied', UploadId,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.CopyPartResult!.ETag, ChecksumCRC32C: listed.Parts?.[0]?.ChecksumCRC32C }, { PartNumber: 2, ETag: p2.ETag, ChecksumCRC32C: p2.ChecksumCRC32C }] } }))
    expect(done.ETag).toMatch(/^"[0-9a-f]{32}-2"$/)
    expect(done.ChecksumCRC32C).toMatch(/-2$/)
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'mpu', Key: 'copied' }))
    expect(head.ContentLength).toBe(5 * MiB + 4)
    const gone = await s3error(s3.send(new ListPartsCommand({ Bucket: 'mpu', Key: 'copied', UploadId })))
    expect(gone.name).toBe('NoSuchUpload')

    const { UploadId: second } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'mpu', Key: 'aborted' }))
    await s3.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'aborted', UploadId: second, PartNumber: 1, Body: 'bytes' }))
    await s3.send(new AbortMultipartUploadCommand({ Bucket: 'mpu', Key: 'aborted', UploadId: second }))
    const aborted = await s3error(s3.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'aborted', UploadId: second, PartNumber: 2, Body: 'x' })))
    expect(aborted.name).toBe('NoSuchUpload')
    const badPart = await s3error(s3.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'aborted', UploadId: second, PartNumber: 10001, Body: 'x' })))
    expect(badPart.$metadata.httpStatusCode).toBeLessThan(500)
  })
})
