import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { crc32 } from 'node:zlib'
import { promisify } from 'node:util'
import {
  CompleteMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand, HeadObjectCommand,
  ListMultipartUploadsCommand, ListPartsCommand, UploadPartCommand, type CompletedPart, type S3Client,
} from '@aws-sdk/client-s3'
import { describe, expect, it } from 'vitest'
import { crc32c } from '../../src/s3/checksum/checksum.js'
import { s3error, useS3 } from '../helpers/s3.js'

const run = promisify(execFile)
const fx = useS3({ buckets: ['fullcrc'] })
const Bucket = 'fullcrc'
const MiB = 1024 * 1024

type Algo = 'CRC32' | 'CRC32C'
const field = (a: Algo) => a === 'CRC32' ? 'ChecksumCRC32' as const : 'ChecksumCRC32C' as const

/** The CRC of a whole body, as S3 shows it: base64 of the big-endian 32-bit value. */
function crcOf(algorithm: Algo, data: Buffer): string {
  const out = Buffer.alloc(4)
  out.writeUInt32BE(algorithm === 'CRC32' ? crc32(data) : crc32c(data))
  return out.toString('base64')
}

/** create + upload `parts` with the SDK computing each part's CRC; returns the upload id and completed parts. */
async function uploadParts(s3: S3Client, Key: string, algorithm: Algo, parts: Buffer[], ChecksumType?: 'FULL_OBJECT' | 'COMPOSITE') {
  const created = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key, ChecksumAlgorithm: algorithm, ChecksumType }))
  expect([created.ChecksumAlgorithm, created.ChecksumType]).toEqual([algorithm, ChecksumType ?? 'COMPOSITE'])
  const done: CompletedPart[] = []
  for (const [i, Body] of parts.entries()) {
    const r = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId: created.UploadId, PartNumber: i + 1, Body, ChecksumAlgorithm: algorithm }))
    expect(r[field(algorithm)]).toBe(crcOf(algorithm, Body))
    done.push({ PartNumber: i + 1, ETag: r.ETag, [field(algorithm)]: r[field(algorithm)] })
  }
  return { UploadId: created.UploadId!, done }
}

describe.each(['CRC32', 'CRC32C'] as const)('FULL_OBJECT %s multipart uploads', (algorithm) => {
  it('AWS SDK: several parts end as the CRC of the whole body, on Complete, HEAD, GET and the listings', async () => {
    const s3 = fx.client()
    const Key = `full-${algorithm}`
    const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(77_777)]
    const whole = Buffer.concat(parts)
    const { UploadId, done } = await uploadParts(s3, Key, algorithm, parts, 'FULL_OBJECT')
    const listed = await s3.send(new ListPartsCommand({ Bucket, Key, UploadId }))
    expect([listed.ChecksumAlgorithm, listed.ChecksumType, listed.Parts?.length]).toEqual([algorithm, 'FULL_OBJECT', 3])
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket, Prefix: Key }))
    expect(uploads.Uploads?.map((u) => [u.UploadId, u.ChecksumAlgorithm, u.ChecksumType])).toEqual([[UploadId, algorithm, 'FULL_OBJECT']])

    const complete = await s3.send(new CompleteMultipartUploadCommand({
      Bucket, Key, UploadId, ChecksumType: 'FULL_OBJECT', MultipartUpload: { Parts: done },
    }))
    expect([complete[field(algorithm)], complete.ChecksumType]).toEqual([crcOf(algorithm, whole), 'FULL_OBJECT'])
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key, ChecksumMode: 'ENABLED' }))
    expect([head[field(algorithm)], head.ChecksumType, head.ContentLength]).toEqual([crcOf(algorithm, whole), 'FULL_OBJECT', whole.length])
    // With no -N suffix the SDK validates the body against the value itself while reading it.
    const got = await s3.send(new GetObjectCommand({ Bucket, Key, ChecksumMode: 'ENABLED' }))
    expect([got[field(algorithm)], got.ChecksumType]).toEqual([crcOf(algorithm, whole), 'FULL_OBJECT'])
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(whole)).toBe(true)
  })

  it('AWS SDK: a whole-object value stated on Complete is checked (BadDigest, nothing stored), the right one accepted', async () => {
    const s3 = fx.client()
    const parts = [randomBytes(5 * MiB), randomBytes(1)]
    const whole = Buffer.concat(parts)
    const bad = await uploadParts(s3, `claimed-bad-${algorithm}`, algorithm, parts, 'FULL_OBJECT')
    // The composite value (CRC of the part CRCs) is not the whole object's.
    const err = await s3error(s3.send(new CompleteMultipartUploadCommand({
      Bucket, Key: `claimed-bad-${algorithm}`, UploadId: bad.UploadId, ChecksumType: 'FULL_OBJECT', MultipartUpload: { Parts: bad.done },
      [field(algorithm)]: crcOf(algorithm, Buffer.concat(bad.done.map((p) => Buffer.from(p[field(algorithm)]!, 'base64')))),
    })))
    expect([err.name, err.$metadata.httpStatusCode, err.message]).toEqual([
      'BadDigest', 400, `The ${algorithm} you specified did not match the calculated checksum.`,
    ])
    expect((await s3error(s3.send(new HeadObjectCommand({ Bucket, Key: `claimed-bad-${algorithm}` })))).$metadata.httpStatusCode).toBe(404)
    // The upload survives a refused Complete: completing it with the right value works.
    const ok = await s3.send(new CompleteMultipartUploadCommand({
      Bucket, Key: `claimed-bad-${algorithm}`, UploadId: bad.UploadId, ChecksumType: 'FULL_OBJECT', MultipartUpload: { Parts: bad.done },
      [field(algorithm)]: crcOf(algorithm, whole),
    }))
    expect([ok[field(algorithm)], ok.ChecksumType]).toEqual([crcOf(algorithm, whole), 'FULL_OBJECT'])
  })

  it('AWS SDK: Complete must state the type the upload was created with', async () => {
    const s3 = fx.client()
    const Key = `mode-${algorithm}`
    const { UploadId, done } = await uploadParts(s3, Key, algorithm, [randomBytes(1000)], 'FULL_OBJECT')
    const err = await s3error(s3.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, ChecksumType: 'COMPOSITE', MultipartUpload: { Parts: done } })))
    expect([err.name, err.$metadata.httpStatusCode, err.message]).toEqual([
      'InvalidRequest', 400, 'The upload was created using the FULL_OBJECT checksum mode. The complete request must use the same checksum mode.',
    ])
  })

  it('AWS SDK: without ChecksumType the upload stays COMPOSITE (value-N)', async () => {
    const s3 = fx.client()
    const Key = `composite-${algorithm}`
    const parts = [randomBytes(5 * MiB), randomBytes(4321)]
    const { UploadId, done } = await uploadParts(s3, Key, algorithm, parts)
    const complete = await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: done } }))
    const composite = crcOf(algorithm, Buffer.concat(done.map((p) => Buffer.from(p[field(algorithm)]!, 'base64')))) + '-2'
    expect([complete[field(algorithm)], complete.ChecksumType]).toEqual([composite, 'COMPOSITE'])
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key, ChecksumMode: 'ENABLED' }))
    expect([head[field(algorithm)], head.ChecksumType]).toEqual([composite, 'COMPOSITE'])
  })
})

describe('checksum type combinations S3 refuses', () => {
  it('SHA1/SHA256 FULL_OBJECT and CRC64NVME COMPOSITE are InvalidRequest', async () => {
    const s3 = fx.client()
    for (const [ChecksumAlgorithm, ChecksumType] of [['SHA256', 'FULL_OBJECT'], ['SHA1', 'FULL_OBJECT'], ['CRC64NVME', 'COMPOSITE']] as const) {
      const err = await s3error(s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'refused', ChecksumAlgorithm, ChecksumType })))
      expect([err.name, err.$metadata.httpStatusCode, err.message]).toEqual([
        'InvalidRequest', 400, `The ${ChecksumType} checksum type cannot be used with the ${ChecksumAlgorithm.toLowerCase()} checksum algorithm.`,
      ])
    }
  })
})

const BOTO3 = `
import base64, os, sys, zlib, boto3
s3 = boto3.client('s3', endpoint_url=os.environ['ENDPOINT'], config=boto3.session.Config(s3={'addressing_style': 'path'}))
parts = [os.urandom(5 * 1024 * 1024), os.urandom(4097)]
crc = lambda b: base64.b64encode(zlib.crc32(b).to_bytes(4, 'big')).decode()
up = s3.create_multipart_upload(Bucket='fullcrc', Key='boto3', ChecksumAlgorithm='CRC32', ChecksumType='FULL_OBJECT')
done = []
for i, body in enumerate(parts):
    r = s3.upload_part(Bucket='fullcrc', Key='boto3', UploadId=up['UploadId'], PartNumber=i + 1, Body=body, ChecksumAlgorithm='CRC32')
    done.append({'PartNumber': i + 1, 'ETag': r['ETag'], 'ChecksumCRC32': r['ChecksumCRC32']})
whole = crc(b''.join(parts))
c = s3.complete_multipart_upload(Bucket='fullcrc', Key='boto3', UploadId=up['UploadId'], ChecksumType='FULL_OBJECT',
    ChecksumCRC32=whole, MultipartUpload={'Parts': done})
h = s3.head_object(Bucket='fullcrc', Key='boto3', ChecksumMode='ENABLED')
print(up['ChecksumType'], whole, c['ChecksumCRC32'], c['ChecksumType'], h['ChecksumCRC32'], h['ChecksumType'])
`

describe('boto3', () => {
  it('CreateMultipartUpload with ChecksumType FULL_OBJECT (CRC32), Complete with the whole CRC, HEAD shows it', async () => {
    const { stdout } = await run('python3', ['-c', BOTO3], { env: { ...fx.env(), ENDPOINT: fx.server.url }, timeout: 60_000 })
    const [type, whole, ...shown] = stdout.trim().split(' ')
    expect(type).toBe('FULL_OBJECT')
    expect(shown).toEqual([whole, 'FULL_OBJECT', whole, 'FULL_OBJECT'])
  })
})
