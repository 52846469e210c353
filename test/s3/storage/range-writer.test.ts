/**
 * GET bodies written from reused buffers (src/s3/storage/range-writer.ts): the bytes are exact under
 * concurrency (a buffer returned to the pool too early would carry another GET's bytes), ranges cross part
 * boundaries, a client that hangs up mid-body releases the blob's pin, and a blob shorter than its metadata
 * says drops the connection instead of hanging or sending wrong bytes.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, statSync, truncateSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import {
  CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, DeleteObjectCommand, GetObjectCommand,
  PutObjectCommand, UploadPartCommand,
} from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BlobStore } from '../../../src/s3/storage/blobs.js'
import { openDatabase } from '../../../src/s3/storage/db.js'
import { ResponseClosedError, writeRange } from '../../../src/s3/storage/range-writer.js'
import { startS3, type S3Fixture } from '../../helpers/s3.js'

const MiB = 1024 * 1024
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
let fx: S3Fixture

beforeAll(async () => {
  fx = await startS3()
  await fx.client().send(new CreateBucketCommand({ Bucket: 'ranges' }))
})
afterAll(() => fx.close())

async function get(key: string, range?: string): Promise<Buffer> {
  const out = await fx.client().send(new GetObjectCommand({ Bucket: 'ranges', Key: key, Range: range }))
  return Buffer.from(await out.Body!.transformToByteArray())
}

/** blobFiles lists the data dir's blob files with their sizes. */
function blobFiles(): Map<string, number> {
  const root = join(fx.dataDir, 'blobs')
  const files = new Map<string, number>()
  for (const dir of readdirSync(root)) for (const f of readdirSync(join(root, dir))) files.set(join(root, dir, f), statSync(join(root, dir, f)).size)
  return files
}

describe('GET bodies from pooled buffers', () => {
  it('returns every byte of eight different objects read at once', async () => {
    const bodies = Array.from({ length: 8 }, (_, i) => randomBytes(3 * MiB + 1000 * i + 7))
    await Promise.all(bodies.map((Body, i) => fx.client().send(new PutObjectCommand({ Bucket: 'ranges', Key: `o${i}`, Body }))))
    for (let round = 0; round < 2; round++) {
      const got = await Promise.all(bodies.map((_, i) => get(`o${i}`)))
      expect(got.map(sha)).toEqual(bodies.map(sha))
    }
  }, 120_000)

  it('serves ranges inside, across and at the ends of multipart parts', async () => {
    const c = fx.client()
    const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB + 123), randomBytes(777)]
    const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: 'ranges', Key: 'mp' }))
    const done = []
    for (const [i, Body] of parts.entries()) {
      const { ETag } = await c.send(new UploadPartCommand({ Bucket: 'ranges', Key: 'mp', UploadId, PartNumber: i + 1, Body }))
      done.push({ ETag, PartNumber: i + 1 })
    }
    await c.send(new CompleteMultipartUploadCommand({ Bucket: 'ranges', Key: 'mp', UploadId, MultipartUpload: { Parts: done } }))
    const all = Buffer.concat(parts)
    const p1 = parts[0]!.length
    for (const [from, to] of [[0, 0], [p1 - 1, p1], [p1 - 10, p1 + 5 * MiB + 200], [1, all.length - 1], [all.length - 1, all.length - 1], [MiB, 2 * MiB - 1]] as const) {
      expect({ from, to, sha: sha(await get('mp', `bytes=${from}-${to}`)) }).toEqual({ from, to, sha: sha(all.subarray(from, to + 1)) })
    }
    expect(sha(await get('mp'))).toBe(sha(all))
  }, 120_000)

  it('releases the blob when the client hangs up mid-body, so a delete then removes its file', async () => {
    const body = randomBytes(24 * MiB)
    await fx.client().send(new PutObjectCommand({ Bucket: 'ranges', Key: 'big', Body: body }))
    const before = blobFiles()
    await new Promise<void>((resolve, reject) => {
      fx.client().send(new GetObjectCommand({ Bucket: 'ranges', Key: 'big' })).then(async (out) => {
        const stream = out.Body as NodeJS.ReadableStream & { destroy(): void }
        let seen = 0
        stream.on('data', (chunk: Buffer) => {
          seen += chunk.length
          if (seen > 2 * MiB) stream.destroy()
        })
        stream.on('close', () => resolve())
        stream.on('error', () => resolve())
      }, reject)
    })
    await fx.client().send(new DeleteObjectCommand({ Bucket: 'ranges', Key: 'big' }))
    // The GET's pin is gone once the server sees the closed connection: the file goes with the delete.
    const deadline = Date.now() + 10_000
    const bigFile = [...before].find(([, size]) => size === body.length)?.[0]
    expect(bigFile).toBeDefined()
    while (blobFiles().has(bigFile!) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    expect(blobFiles().has(bigFile!)).toBe(false)
    // And the server still serves.
    expect(sha(await get('o0'))).toBe(sha(await get('o0')))
  }, 120_000)

  it('drops the connection when a blob is shorter than its metadata says, and keeps serving', async () => {
    const body = randomBytes(2 * MiB)
    await fx.client().send(new PutObjectCommand({ Bucket: 'ranges', Key: 'short', Body: body }))
    const file = [...blobFiles()].find(([, size]) => size === body.length)![0]
    truncateSync(file, MiB + 5)
    await expect(get('short')).rejects.toThrow()
    expect(sha(await get('o1'))).toBe(sha(await get('o1')))
  }, 60_000)
})

describe('writeRange', () => {
  it('stops with ResponseClosedError when the response closes, never hanging on a write that will not call back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyhold-range-writer-'))
    const blobs = new BlobStore(dir, openDatabase(dir))
    const { id, file } = await blobs.create()
    await file.write(randomBytes(8 * MiB))
    await file.close()
    // A sink that accepts the first write and never calls back, then closes.
    const sink = new Writable({
      highWaterMark: 1,
      write: (_chunk, _enc, _cb) => {
        setTimeout(() => sink.destroy(), 20)
      },
    })
    await expect(writeRange(blobs, [{ partNumber: 1, blob: id, size: 8 * MiB, storedSize: 8 * MiB, etag: 'x' }], 0, 8 * MiB - 1, sink))
      .rejects.toBeInstanceOf(ResponseClosedError)
  })
})
