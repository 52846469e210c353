import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { crc32 } from 'node:zlib'
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, describe, expect, it } from 'vitest'
import { crc32c } from '../../src/s3/checksum/checksum.js'
import { openOffloadedHash } from '../../src/s3/checksum/hash-pool.js'
import { PooledChunker } from '../../src/s3/api/pooled-chunks.js'
import { ROOT_PASSWORD, ROOT_USER, s3error, useS3 } from '../helpers/s3.js'

const run = promisify(execFile)
const fx = useS3({ buckets: ['big'] })
const dir = mkdtempSync(join(tmpdir(), 'body-offload-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

// Above the size from which bodies are hashed by a worker thread, and not a multiple of the coalescing size.
const body = randomBytes(3 * 1024 * 1024 + 12345)
const file = join(dir, 'body')
writeFileSync(file, body)
const md5Hex = createHash('md5').update(body).digest('hex')

async function curlPut(key: string, headers: string[]): Promise<{ status: number; body: string }> {
  const sign = ['--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', `${ROOT_USER}:${ROOT_PASSWORD}`]
  const h = headers.flatMap((x) => ['-H', x])
  const { stdout } = await run('curl', ['-s', '--cacert', fx.pki.ca.certFile, ...sign, ...h, '-T', file, '-w', '\n%{http_code}', `${fx.server.url}/big/${key}`])
  const at = stdout.lastIndexOf('\n')
  return { status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) }
}

async function absent(key: string): Promise<boolean> {
  const err = await s3error(fx.client().send(new HeadObjectCommand({ Bucket: 'big', Key: key })))
  return err.$metadata.httpStatusCode === 404
}

describe('large bodies hashed off the event loop', () => {
  it('stores a streamed SDK upload with the right ETag and CRC32 and reads it back', async () => {
    const client = fx.client()
    const put = await client.send(new PutObjectCommand({ Bucket: 'big', Key: 'sdk', Body: body, ChecksumAlgorithm: 'CRC32' }))
    expect(put.ETag).toBe(`"${md5Hex}"`)
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(crc32(body))
    expect(put.ChecksumCRC32).toBe(crc.toString('base64'))
    const got = await client.send(new GetObjectCommand({ Bucket: 'big', Key: 'sdk', ChecksumMode: 'ENABLED' }))
    expect(got.ChecksumCRC32).toBe(crc.toString('base64'))
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true)
  })

  it('checks Content-MD5, a signed payload hash and CRC32C of large bodies, storing nothing when one is wrong', async () => {
    const wrongMd5 = await curlPut('md5', ['x-amz-content-sha256: UNSIGNED-PAYLOAD', `Content-MD5: ${createHash('md5').update('other').digest('base64')}`])
    expect(wrongMd5.status).toBe(400)
    expect(wrongMd5.body).toContain('<Code>BadDigest</Code>')
    expect(await absent('md5')).toBe(true)

    const wrongSha = await curlPut('sha', [`x-amz-content-sha256: ${createHash('sha256').update('other').digest('hex')}`])
    expect(wrongSha.status).toBe(400)
    expect(wrongSha.body).toContain('<Code>XAmzContentSHA256Mismatch</Code>')
    expect(await absent('sha')).toBe(true)

    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(crc32c(body))
    const wrongCrc = await curlPut('crc', ['x-amz-content-sha256: UNSIGNED-PAYLOAD', 'x-amz-checksum-crc32c: AAAAAA=='])
    expect(wrongCrc.status).toBe(400)
    expect(wrongCrc.body).toContain('The CRC32C you specified did not match the calculated checksum.')
    expect(await absent('crc')).toBe(true)

    const good = await curlPut('good', [`x-amz-content-sha256: ${createHash('sha256').update(body).digest('hex')}`,
      `Content-MD5: ${createHash('md5').update(body).digest('base64')}`, `x-amz-checksum-crc32c: ${crc.toString('base64')}`])
    expect(good.status).toBe(200)
    const head = await fx.client().send(new HeadObjectCommand({ Bucket: 'big', Key: 'good', ChecksumMode: 'ENABLED' }))
    expect(head.ETag).toBe(`"${md5Hex}"`)
    expect(head.ChecksumCRC32C).toBe(crc.toString('base64'))
  })

  it('hashes in a worker what it is given, in order, across sessions', async () => {
    const a = openOffloadedHash({ sha256: true, checksum: 'CRC32C' })
    const b = openOffloadedHash({ sha256: false, checksum: undefined })
    const chunker = new PooledChunker(1)
    const pieces: Buffer[] = []
    for (let i = 0; i < body.length; i += 16_384) chunker.add(body.subarray(i, i + 16_384), (full) => pieces.push(full))
    pieces.push(chunker.take()!)
    expect(Buffer.concat(pieces).equals(body)).toBe(true)
    for (const p of pieces) {
      a.update(p)
      b.update(p.subarray(0, 10))
    }
    await new Promise<void>((resolve) => a.whenBelow(0, resolve))
    const [da, db] = await Promise.all([a.digest(), b.digest()])
    expect(da.md5Hex).toBe(md5Hex)
    expect(da.sha256Hex).toBe(createHash('sha256').update(body).digest('hex'))
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(crc32c(body))
    expect(da.checksumBase64).toBe(crc.toString('base64'))
    expect(db.md5Hex).toBe(createHash('md5').update(Buffer.concat(pieces.map((p) => p.subarray(0, 10)))).digest('hex'))
    expect(() => a.update(Buffer.from('closed'))).toThrow(TypeError)
  })
})
