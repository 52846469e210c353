/**
 * What one client sends must never end keyhold-s3: bodies whose checks fail while the handler still waits for
 * the KMS (a small SSE-KMS PUT or part with a wrong Content-MD5, x-amz-content-sha256 or checksum, a broken
 * aws-chunked body), and copies racing an overwrite of their source. Run against the real executable with a
 * real Keyhold, since an unhandled stream error ends the process.
 */
import { execFile, type ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, readlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CopyObjectCommand, CreateBucketCommand, CreateMultipartUploadCommand,
  DeleteObjectCommand, GetObjectCommand, PutObjectCommand, UploadPartCommand, UploadPartCopyCommand, type S3Client,
} from '@aws-sdk/client-s3'
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest'
import { testPki, type TestPki } from '../../helpers/pki.js'
import { processClient, startS3Process, writeCerts } from '../../helpers/s3-process.js'
import { bodyBytes, ROOT_PASSWORD, ROOT_USER, s3error } from '../../helpers/s3.js'
import { startKeyhold, type Keyhold } from './keyhold.js'
import { kesEnv } from './s3-helper.js'

const run = promisify(execFile)
let pki: TestPki
let kh: Keyhold
let procs: ChildProcess[] = []
let proc: ChildProcess
let url: string
let client: S3Client
let dataDir: string

beforeAll(async () => {
  pki = await testPki()
  kh = await startKeyhold()
})
afterAll(async () => {
  await kh?.stop()
})

// A server per test: without the fixes the first bad body ends the process.
beforeEach(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-s3-survives-'))
  dataDir = join(dir, 'data')
  ;({ proc, url } = await startS3Process(dataDir, writeCerts(pki, join(dir, 'certs')), procs, { ...kesEnv(kh), MINIO_KMS_AUTO_ENCRYPTION: 'on' }))
  client = processClient(url, pki)
  await client.send(new CreateBucketCommand({ Bucket: 'bkt' }))
}, 70_000)
afterEach(() => {
  client.destroy()
  for (const p of procs) p.kill('SIGKILL')
  procs = []
})

/** curl with its own SigV4 (headers as given: a wrong x-amz-content-sha256 is signed as sent). */
async function curl(method: string, path: string, headers: string[], body: string): Promise<{ status: number; body: string }> {
  const args = ['-s', '--cacert', pki.ca.certFile, '--max-time', '20', '--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', `${ROOT_USER}:${ROOT_PASSWORD}`,
    '-X', method, '-w', '\n%{http_code}', ...headers.flatMap((h) => ['-H', h]), '--data-binary', body, url + path]
  const { stdout } = await run('curl', args)
  const at = stdout.lastIndexOf('\n')
  return { status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) }
}

async function stillServing(): Promise<void> {
  await new Promise((r) => setTimeout(r, 200))
  expect(proc.exitCode).toBeNull()
  expect((await client.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'alive', Body: 'yes' }))).ETag).toBeDefined()
}

const unsigned = 'x-amz-content-sha256: UNSIGNED-PAYLOAD'
const md5Of = (s: string) => createHash('md5').update(s).digest('base64')

it('answers 400 to small encrypted PUTs and parts whose body checks fail, and goes on serving', async () => {
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: 'bkt', Key: 'mp' }))
  const cases: Array<[string, string, string[], string]> = [
    ['PUT', '/bkt/o', [unsigned, `Content-MD5: ${md5Of('other')}`], 'BadDigest'],
    ['PUT', '/bkt/o', [`x-amz-content-sha256: ${'0'.repeat(64)}`], 'XAmzContentSHA256Mismatch'],
    ['PUT', '/bkt/o', [unsigned, 'x-amz-checksum-crc32: AAAAAA=='], 'BadDigest'],
    ['PUT', `/bkt/mp?partNumber=1&uploadId=${UploadId!}`, [unsigned, `Content-MD5: ${md5Of('other')}`], 'BadDigest'],
    ['PUT', '/bkt/o', ['x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'x-amz-decoded-content-length: 3', 'Content-Encoding: aws-chunked', 'x-amz-trailer: x-amz-checksum-crc32'], 'IncompleteBody'],
  ]
  for (const [method, path, headers, code] of cases) {
    const body = code === 'IncompleteBody' ? 'zz\r\nabc\r\n0\r\n\r\n' : 'abc'
    const r = await curl(method, path, headers, body)
    expect([r.status, /<Code>([^<]+)<\/Code>/.exec(r.body)?.[1]], `${path} ${headers.join(' ')}`).toEqual([400, code])
    await stillServing()
  }
})

it('serves copies and reads racing overwrites and deletes of their source whole, or as missing', async () => {
  const bodies = [Buffer.alloc(64 * 1024, 'a'), Buffer.alloc(64 * 1024, 'b')]
  await client.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'src', Body: bodies[0] }))
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: 'bkt', Key: 'mp' }))
  const outcome = async (p: Promise<unknown>): Promise<string> => {
    try {
      await p
      return 'ok'
    } catch (err) {
      return (await s3error(Promise.reject(err))).name
    }
  }
  const seen = new Set<string>()
  for (let round = 0; round < 30; round++) {
    const results = await Promise.all([
      outcome(client.send(new CopyObjectCommand({ Bucket: 'bkt', Key: `dst${round % 3}`, CopySource: 'bkt/src' }))),
      outcome(client.send(new CopyObjectCommand({ Bucket: 'bkt', Key: 'dst-x', CopySource: 'bkt/src' }))),
      outcome(client.send(new UploadPartCopyCommand({ Bucket: 'bkt', Key: 'mp', UploadId, PartNumber: 1, CopySource: 'bkt/src' }))),
      outcome(bodyBytes(client.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'src' }))).then((b) => {
        expect(bodies.some((x) => x.equals(b))).toBe(true)
      })),
      outcome(client.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'src', Body: bodies[round % 2] }))),
      outcome(round % 5 === 4 ? client.send(new DeleteObjectCommand({ Bucket: 'bkt', Key: 'src' })) : Promise.resolve()),
    ])
    for (const r of results) seen.add(r)
  }
  // Whole answers or NoSuchKey (the source deleted first): never an internal error, a cut connection or a crash.
  expect([...seen].filter((r) => r !== 'ok' && r !== 'NoSuchKey')).toEqual([])
  await stillServing()
}, 60_000)

/** filesUnder counts the files below `dir`. */
function filesUnder(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? filesUnder(join(dir, e.name)) : 1), 0)
}

/** blobDescriptors counts the server's open descriptors on blob files. */
function blobDescriptors(): number {
  const fds = `/proc/${proc.pid!}/fd`
  return readdirSync(fds).filter((fd) => {
    try {
      return readlinkSync(join(fds, fd)).includes('/blobs/')
    } catch {
      return false // closed meanwhile
    }
  }).length
}

it('closes the source of an UploadPartCopy whose write fails before reading, and lets its blob go', async () => {
  const blobs = join(dataDir, 'blobs')
  const filesBefore = filesUnder(blobs)
  // Larger than what the pipes between the source and the check buffer: an unread source stalls, open.
  await client.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'big', Body: randomBytes(40 << 20) }))
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: 'bkt', Key: 'parts' }))
  const fdsBefore = blobDescriptors()
  for (let i = 0; i < 3; i++) {
    // SSE-KMS on UploadPartCopy is refused by the write plan, after the source is open (as MinIO: 501).
    const r = await curl('PUT', `/bkt/parts?partNumber=1&uploadId=${UploadId!}`, [unsigned, 'x-amz-copy-source: /bkt/big', 'x-amz-server-side-encryption: aws:kms'], '')
    expect(r.status).toBe(501)
  }
  await new Promise((r) => setTimeout(r, 300))
  expect(blobDescriptors()).toBe(fdsBefore)
  await client.send(new DeleteObjectCommand({ Bucket: 'bkt', Key: 'big' }))
  await new Promise((r) => setTimeout(r, 300))
  expect(filesUnder(blobs)).toBe(filesBefore)
}, 60_000)

it('answers a completion racing an abort with success or NoSuchUpload, never InvalidPart', async () => {
  const outcome = (p: Promise<unknown>): Promise<string> => p.then(() => 'ok', async (err: unknown) => (await s3error(Promise.reject(err))).name)
  const seen = new Set<string>()
  for (let round = 0; round < 20; round++) {
    const Key = `race-${round}`
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: 'bkt', Key }))
    const { ETag } = await client.send(new UploadPartCommand({ Bucket: 'bkt', Key, UploadId, PartNumber: 1, Body: 'abc' }))
    const [completed] = await Promise.all([
      outcome(client.send(new CompleteMultipartUploadCommand({ Bucket: 'bkt', Key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] } }))),
      // The abort lands at different moments of the completion: before, during its awaits (body, KMS), after.
      new Promise((r) => setTimeout(r, round % 5)).then(() => outcome(client.send(new AbortMultipartUploadCommand({ Bucket: 'bkt', Key, UploadId })))),
    ])
    seen.add(completed)
    if (completed === 'ok') expect((await bodyBytes(client.send(new GetObjectCommand({ Bucket: 'bkt', Key })))).toString()).toBe('abc')
  }
  expect([...seen].filter((o) => o !== 'ok' && o !== 'NoSuchUpload')).toEqual([])
}, 60_000)
