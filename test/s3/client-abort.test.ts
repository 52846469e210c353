/**
 * A client that goes away in the middle of an upload is not the server's failure: no "internal error" in
 * keyhold-s3's log (which operators alert on), and the server serves on.
 */
import { spawn } from 'node:child_process'
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { recordLog, type LogRecorder } from '../helpers/message-log.js'
import { ROOT_PASSWORD, ROOT_USER, startS3, type S3Fixture } from '../helpers/s3.js'

let fx: S3Fixture
let rec: LogRecorder

beforeAll(async () => {
  rec = recordLog()
  fx = await startS3({ log: rec.log })
  await fx.client().send(new CreateBucketCommand({ Bucket: 'aborts' }))
})
afterAll(async () => {
  await fx?.close()
})

it('logs no internal error for uploads their clients abandon part-way', async () => {
  for (let i = 0; i < 3; i++) {
    // curl streams stdin under the declared length (no chunked framing, no 100-continue); killed after
    // 192 KiB, it leaves the body unfinished.
    const curl = spawn('curl', ['-s', '--cacert', fx.pki.ca.certFile, '--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', `${ROOT_USER}:${ROOT_PASSWORD}`,
      '-H', 'x-amz-content-sha256: UNSIGNED-PAYLOAD', '-H', 'Content-Length: 1000000', '-H', 'Transfer-Encoding:', '-H', 'Expect:', '-T', '-', `${fx.server.url}/aborts/half-${i}`], { stdio: ['pipe', 'ignore', 'ignore'] })
    for (let k = 0; k < 3; k++) curl.stdin.write(Buffer.alloc(64 * 1024, 'x'))
    await new Promise((r) => setTimeout(r, 300))
    curl.kill('SIGKILL')
    if (curl.exitCode === null && curl.signalCode === null) await new Promise((r) => curl.once('exit', r))
  }
  await new Promise((r) => setTimeout(r, 300))
  expect(rec.messages.filter((m) => m.includes('internal error'))).toEqual([])
  expect((await fx.client().send(new PutObjectCommand({ Bucket: 'aborts', Key: 'whole', Body: 'ok' }))).ETag).toBeDefined()
})
