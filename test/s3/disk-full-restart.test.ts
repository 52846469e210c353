/**
 * A keyhold-s3 killed (kill -9) while its data directory was full starts again on the still-full disk, over its
 * own stale lock, and serves what it had stored; a second server on the same directory is still refused. Real
 * processes on a small tmpfs; needs root (mount), skipped otherwise.
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { afterAll, describe, expect, it } from 'vitest'
import { spawnBin, type Spawned } from '../helpers/spawn-process.js'
import { fillDisk, mountTmpfs } from '../helpers/tmpfs.js'

const tmpfs = mountTmpfs(16)
const BANNER = /serving the S3 API at (http:\/\/\S+)/
const running: Spawned[] = []

function client(url: string): S3Client {
  return new S3Client({
    endpoint: url, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1,
    credentials: { accessKeyId: 'minioadmin', secretAccessKey: 'minioadmin' },
  })
}

describe.skipIf(tmpfs.skip !== undefined)(`restart on a full disk${tmpfs.skip !== undefined ? ` (skipped: ${tmpfs.skip})` : ''}`, () => {
  const data = join(tmpfs.dir!, 'data')
  const certs = join(tmpfs.dir!, 'no-certs')
  const server = (): Spawned => {
    const p = spawnBin('keyhold-s3', ['server', data, '--address', '127.0.0.1:0', '--certs-dir', certs, '--dev'])
    running.push(p)
    return p
  }
  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop('SIGKILL')))
    tmpfs.unmount()
  })

  it('starts over its stale lock after a kill -9, serves reads, and still refuses a second server', async () => {
    mkdirSync(certs)
    const body = randomBytes(256 * 1024)
    const first = server()
    const s3 = client((await first.waitFor(BANNER))[1]!)
    await s3.send(new CreateBucketCommand({ Bucket: 'kept-bucket' }))
    await s3.send(new PutObjectCommand({ Bucket: 'kept-bucket', Key: 'kept', Body: body }))
    fillDisk(join(tmpfs.dir!, 'ballast'))
    // Killed with uploads in flight on the full disk, as the fault round did.
    const inFlight = Array.from({ length: 6 }, (_, i) =>
      s3.send(new PutObjectCommand({ Bucket: 'kept-bucket', Key: `late-${i}`, Body: randomBytes(512 * 1024) })).catch(() => undefined))
    await new Promise((r) => setTimeout(r, 100))
    expect(await first.stop('SIGKILL')).toBe(null)
    await Promise.all(inFlight)
    s3.destroy()

    const next = server()
    const again = client((await next.waitFor(BANNER))[1]!)
    const got = await again.send(new GetObjectCommand({ Bucket: 'kept-bucket', Key: 'kept' }))
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true)
    again.destroy()

    const second = server()
    expect(await second.exited).toBe(1)
    expect(second.stderr()).toMatch(new RegExp(`is held by PID ${next.child.pid} `))
    expect(await next.stop()).toBe(0)
  }, 150_000)
})
