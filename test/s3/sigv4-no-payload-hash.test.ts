/**
 * A SigV4 header-signed request without x-amz-content-sha256 (Debian 12's curl --aws-sigv4, botocore's generic
 * SigV4Auth) is taken as MinIO takes it: its payload hash is the empty body's. What an attacker tries first is a
 * body the signature does not cover: it is refused (XAmzContentSHA256Mismatch) and nothing is stored.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT_PASSWORD, ROOT_USER, s3error, startS3, type S3Fixture } from '../helpers/s3.js'

const run = promisify(execFile)
let fx: S3Fixture
let work: string

beforeAll(async () => {
  fx = await startS3()
  await fx.client().send(new CreateBucketCommand({ Bucket: 'nohash' }))
  await fx.client().send(new PutObjectCommand({ Bucket: 'nohash', Key: 'there', Body: 'stored text' }))
  work = mkdtempSync(join(tmpdir(), 'keyhold-s3-nohash-'))
})
afterAll(async () => {
  await fx?.close()
  if (work !== undefined) rmSync(work, { recursive: true, force: true })
})

/** curl signs with --aws-sigv4 and, here, sends no x-amz-content-sha256 (checked in the request it prints). */
async function curl(...args: string[]): Promise<{ status: string; body: string; trace: string }> {
  const out = await run('curl', [
    '-sS', '-v', '--cacert', fx.pki.ca.certFile, '--user', `${ROOT_USER}:${ROOT_PASSWORD}`, '--aws-sigv4', 'aws:amz:us-east-1:s3',
    '-w', '\n%{http_code}', ...args,
  ], { timeout: 30_000 })
  const lines = out.stdout.trimEnd().split('\n')
  return { status: lines.pop()!, body: lines.join('\n'), trace: out.stderr }
}

describe('SigV4 without x-amz-content-sha256', () => {
  it('reads and lists with the empty body hash, as MinIO does', async () => {
    const got = await curl(`${fx.server.url}/nohash/there`)
    expect(got.trace.toLowerCase()).not.toContain('> x-amz-content-sha256')
    expect(got).toMatchObject({ status: '200', body: 'stored text' })
    expect((await curl(`${fx.server.url}/nohash?list-type=2`)).body).toContain('<Key>there</Key>')
  })

  it('refuses a body the signature does not cover, and stores nothing', async () => {
    const file = join(work, 'body.txt')
    writeFileSync(file, 'unsigned body')
    const put = await curl('-T', file, `${fx.server.url}/nohash/smuggled`)
    expect(put.status).toBe('400')
    expect(put.body).toContain('<Code>XAmzContentSHA256Mismatch</Code>')
    expect((await s3error(fx.client().send(new HeadObjectCommand({ Bucket: 'nohash', Key: 'smuggled' })))).$metadata.httpStatusCode).toBe(404)
  })
})

describe('a request signed for STS', () => {
  it('is answered 501 NotImplemented naming STS, not a malformed credential scope (the aws CLI\'s assume-role)', async () => {
    const out = await run('curl', [
      '-sS', '--cacert', fx.pki.ca.certFile, '--user', `${ROOT_USER}:${ROOT_PASSWORD}`, '--aws-sigv4', 'aws:amz:us-east-1:sts',
      '-w', '\n%{http_code}', '-d', 'Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::1:role/x&RoleSessionName=s', `${fx.server.url}/`,
    ], { timeout: 30_000 })
    const lines = out.stdout.trimEnd().split('\n')
    expect(lines.pop()).toBe('501')
    expect(lines.join('\n')).toContain('<Code>NotImplemented</Code><Message>The STS API (AssumeRole and the like) is not served')
  })
})
