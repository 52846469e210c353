/**
 * x-amz-copy-source as clients spell it: percent-encoded (the SDKs), with a `%` left raw (minio-js's
 * composeObject sends `five%mib.bin` so; MinIO takes an undecodable source as written), or with raw UTF-8.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { CopyObjectCommand, CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bodyBytes, ROOT_PASSWORD, ROOT_USER, startS3, type S3Fixture } from '../helpers/s3.js'

const run = promisify(execFile)
let fx: S3Fixture

beforeAll(async () => {
  fx = await startS3()
  await fx.client().send(new CreateBucketCommand({ Bucket: 'src' }))
  for (const key of ['five%mib.bin', '100%', 'caf\u00e9.txt', 'a%2Fb']) {
    await fx.client().send(new PutObjectCommand({ Bucket: 'src', Key: key, Body: `body of ${key}` }))
  }
})
afterAll(async () => {
  await fx?.close()
})

const copied = async (copySource: string, to: string): Promise<string> => {
  await fx.client().send(new CopyObjectCommand({ Bucket: 'src', Key: to, CopySource: copySource }))
  return (await bodyBytes(fx.client().send(new GetObjectCommand({ Bucket: 'src', Key: to })))).toString()
}

describe('x-amz-copy-source spellings', () => {
  it('a raw "%" that is no escape names the key as written', async () => {
    expect(await copied('src/five%mib.bin', 'c1')).toBe('body of five%mib.bin')
    expect(await copied('src/100%', 'c2')).toBe('body of 100%')
  })

  it('valid escapes are decoded: %25 is "%", %2F is "/" and names another key than the raw spelling', async () => {
    expect(await copied('src/five%25mib.bin', 'c3')).toBe('body of five%mib.bin')
    expect(await copied('src/a%252Fb', 'c4')).toBe('body of a%2Fb')
  })

  it('raw UTF-8 bytes name the key they spell, as percent-encoded ones do (curl sends the header as given)', async () => {
    const out = await run('curl', [
      '-sS', '--cacert', fx.pki.ca.certFile, '--user', `${ROOT_USER}:${ROOT_PASSWORD}`, '--aws-sigv4', 'aws:amz:us-east-1:s3',
      '-X', 'PUT', '-H', 'x-amz-copy-source: src/caf\u00e9.txt', '-w', '\n%{http_code}', `${fx.server.url}/src/c5`,
    ], { timeout: 30_000 })
    expect(out.stdout.trim().split('\n').pop()).toBe('200')
    expect((await bodyBytes(fx.client().send(new GetObjectCommand({ Bucket: 'src', Key: 'c5' })))).toString()).toBe('body of caf\u00e9.txt')
    expect(await copied('src/caf%C3%A9.txt', 'c6')).toBe('body of caf\u00e9.txt')
  })
})
