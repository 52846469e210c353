import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { promisify } from 'node:util'
import {
  CompleteMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { afterAll, describe, expect, it } from 'vitest'
import { crc64Bytes, crc64nvme } from '../../src/s3/checksum/crc64nvme.js'
import { ROOT_PASSWORD, ROOT_USER, s3error, useS3 } from '../helpers/s3.js'

const run = promisify(execFile)
const fx = useS3({ buckets: ['crc64'] })
const work = mkdtempSync(join(tmpdir(), 'keyhold-s3-crc64-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

const crc = (data: Buffer): string => crc64Bytes(crc64nvme(data)).toString('base64')
const Bucket = 'crc64'

/** curl signs with SigV4 itself (--aws-sigv4); `args` add headers and the body. */
async function curl(key: string, ...args: string[]): Promise<{ status: number; body: string }> {
  const { stdout } = await run('curl', [
    '-sS', '--cacert', fx.pki.ca.certFile, '--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', `${ROOT_USER}:${ROOT_PASSWORD}`,
    '-X', 'PUT', '-w', '\n%{http_code}', ...args, `${fx.server.url}/${Bucket}/${key}`,
  ], { timeout: 20_000 })
  const cut = stdout.lastIndexOf('\n')
  return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) }
}

describe('CRC64NVME from real clients', () => {
  it('AWS SDK: PutObject with a computed CRC64NVME (header and trailer), returned on HEAD and validated on GET', async () => {
    const s3 = fx.client()
    const data = randomBytes(300_000)
    const put = await s3.send(new PutObjectCommand({ Bucket, Key: 'header', Body: data, ChecksumAlgorithm: 'CRC64NVME' }))
    expect([put.ChecksumCRC64NVME, put.ChecksumType]).toEqual([crc(data), 'FULL_OBJECT'])
    // A stream body of known length goes as aws-chunked with the checksum in the unsigned trailer.
    const streamed = await s3.send(new PutObjectCommand({
      Bucket, Key: 'trailer', Body: Readable.from([data.subarray(0, 100_000), data.subarray(100_000)]), ContentLength: data.length,
      ChecksumAlgorithm: 'CRC64NVME',
    }))
    expect(streamed.ChecksumCRC64NVME).toBe(crc(data))
    for (const Key of ['header', 'trailer']) {
      const head = await s3.send(new HeadObjectCommand({ Bucket, Key, ChecksumMode: 'ENABLED' }))
      expect([head.ChecksumCRC64NVME, head.ChecksumType]).toEqual([crc(data), 'FULL_OBJECT'])
      const got = await s3.send(new GetObjectCommand({ Bucket, Key, ChecksumMode: 'ENABLED' }))
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(data)).toBe(true)
    }
  })

  it('AWS SDK: a wrong CRC64NVME is BadDigest and stores nothing', async () => {
    const s3 = fx.client()
    const err = await s3error(s3.send(new PutObjectCommand({ Bucket, Key: 'wrong', Body: Buffer.from('payload'), ChecksumCRC64NVME: crc(Buffer.from('other')) })))
    expect([err.name, err.$metadata.httpStatusCode, err.message]).toEqual([
      'BadDigest', 400, 'The CRC64NVME you specified did not match the calculated checksum.',
    ])
    expect((await s3error(s3.send(new HeadObjectCommand({ Bucket, Key: 'wrong' })))).$metadata.httpStatusCode).toBe(404)
  })

  it('AWS SDK multipart: the object gets the FULL_OBJECT CRC64NVME of all its bytes', async () => {
    const s3 = fx.client()
    const parts = [randomBytes(5 * 1024 * 1024), randomBytes(123_457)]
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'mp', ChecksumAlgorithm: 'CRC64NVME' }))
    const done = []
    for (const [i, Body] of parts.entries()) {
      const r = await s3.send(new UploadPartCommand({ Bucket, Key: 'mp', UploadId, PartNumber: i + 1, Body, ChecksumAlgorithm: 'CRC64NVME' }))
      expect(r.ChecksumCRC64NVME).toBe(crc(Body))
      done.push({ PartNumber: i + 1, ETag: r.ETag, ChecksumCRC64NVME: r.ChecksumCRC64NVME })
    }
    const complete = await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key: 'mp', UploadId, MultipartUpload: { Parts: done } }))
    const whole = Buffer.concat(parts)
    expect([complete.ChecksumCRC64NVME, complete.ChecksumType]).toEqual([crc(whole), 'FULL_OBJECT'])
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'mp', ChecksumMode: 'ENABLED' }))
    expect([got.ChecksumCRC64NVME, got.ChecksumType]).toEqual([crc(whole), 'FULL_OBJECT'])
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(whole)).toBe(true)
    const composite = await s3error(s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'mp2', ChecksumAlgorithm: 'CRC64NVME', ChecksumType: 'COMPOSITE' })))
    expect([composite.name, composite.message]).toEqual(['InvalidRequest', 'The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.'])
  })

  it('AWS SDK multipart: a whole-object CRC64NVME stated on CompleteMultipartUpload is checked', async () => {
    const s3 = fx.client()
    const data = randomBytes(200_000)
    const complete = async (Key: string, ChecksumCRC64NVME: string) => {
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key, ChecksumAlgorithm: 'CRC64NVME', ChecksumType: 'FULL_OBJECT' }))
      const part = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: data, ChecksumAlgorithm: 'CRC64NVME' }))
      return s3.send(new CompleteMultipartUploadCommand({
        Bucket, Key, UploadId, ChecksumCRC64NVME, ChecksumType: 'FULL_OBJECT',
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag, ChecksumCRC64NVME: part.ChecksumCRC64NVME }] },
      }))
    }
    expect((await complete('claimed', crc(data))).ChecksumCRC64NVME).toBe(crc(data))
    const bad = await s3error(complete('claimed-bad', crc(Buffer.from('not it'))))
    expect([bad.name, bad.message]).toEqual(['BadDigest', 'The CRC64NVME you specified did not match the calculated checksum.'])
    expect((await s3error(s3.send(new HeadObjectCommand({ Bucket, Key: 'claimed-bad' })))).$metadata.httpStatusCode).toBe(404)
  })

  it('lib-storage Upload with ChecksumAlgorithm CRC64NVME: multipart, FULL_OBJECT', async () => {
    const s3 = fx.client()
    const data = randomBytes(5 * 1024 * 1024 + 99_999)
    const up = new Upload({ client: s3, params: { Bucket, Key: 'lib', Body: data, ChecksumAlgorithm: 'CRC64NVME' }, partSize: 5 * 1024 * 1024, queueSize: 1 })
    const done = await up.done()
    expect(done.ChecksumCRC64NVME).toBe(crc(data))
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'lib', ChecksumMode: 'ENABLED' }))
    expect([head.ChecksumCRC64NVME, head.ChecksumType, head.ContentLength]).toEqual([crc(data), 'FULL_OBJECT', data.length])
  })

  it('curl: x-amz-checksum-crc64nvme header and aws-chunked trailer, right and wrong', async () => {
    const data = Buffer.from('checked by curl\n'.repeat(1000))
    const file = join(work, 'body')
    writeFileSync(file, data)
    const sha = (await import('node:crypto')).createHash('sha256').update(data).digest('hex')
    const signed = ['-H', `x-amz-content-sha256: ${sha}`, '--data-binary', `@${file}`]
    expect(await curl('curl-ok', '-H', `x-amz-checksum-crc64nvme: ${crc(data)}`, ...signed)).toMatchObject({ status: 200 })
    const bad = await curl('curl-bad', '-H', `x-amz-checksum-crc64nvme: ${crc(Buffer.from('x'))}`, ...signed)
    expect(bad.status).toBe(400)
    expect(bad.body).toContain('<Code>BadDigest</Code><Message>The CRC64NVME you specified did not match the calculated checksum.</Message>')
    const chunked = (value: string): string => {
      const body = Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data,
        Buffer.from(`\r\n0\r\nx-amz-checksum-crc64nvme:${value}\r\n\r\n`)])
      writeFileSync(file + '.chunked', body)
      return `@${file}.chunked`
    }
    const trailer = (value: string) => curl('curl-trailer', '-H', 'x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      '-H', 'content-encoding: aws-chunked', '-H', `x-amz-decoded-content-length: ${data.length}`,
      '-H', 'x-amz-trailer: x-amz-checksum-crc64nvme', '--data-binary', chunked(value))
    expect((await trailer(crc(Buffer.from('y')))).body).toContain('<Code>BadDigest</Code>')
    expect(await trailer(crc(data))).toMatchObject({ status: 200 })
    const head = await fx.client().send(new HeadObjectCommand({ Bucket, Key: 'curl-trailer', ChecksumMode: 'ENABLED' }))
    expect([head.ContentLength, head.ChecksumCRC64NVME]).toEqual([data.length, crc(data)])
  })
})
