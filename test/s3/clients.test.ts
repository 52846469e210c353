import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { Agent, request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { CreateBucketCommand, GetObjectCommand, ListBucketsCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import * as Minio from 'minio'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT_PASSWORD, ROOT_USER, startS3, type S3Fixture } from '../helpers/s3.js'

const run = promisify(execFile)
let fx: S3Fixture
let work: string

beforeAll(async () => {
  fx = await startS3()
  work = mkdtempSync(join(tmpdir(), 'keyhold-s3-clients-'))
})
afterAll(async () => {
  await fx?.close()
})

/** httpsGet fetches a URL trusting the test CA. */
function httpsFetch(url: string, method = 'GET', body?: Buffer): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, ca: fx.pki.ca.certPem }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

describe('real S3 clients over TLS', () => {
  it('minio JS client: bucket, put, stat, get, list, remove', async () => {
    const url = new URL(fx.server.url)
    const mc = new Minio.Client({
      endPoint: url.hostname, port: Number(url.port), useSSL: true, accessKey: ROOT_USER, secretKey: ROOT_PASSWORD,
      transportAgent: new Agent({ ca: fx.pki.ca.certPem }), region: 'us-east-1',
    })
    await mc.makeBucket('minio-js')
    expect(await mc.bucketExists('minio-js')).toBe(true)
    const data = randomBytes(70_000)
    await mc.putObject('minio-js', 'folder/one.bin', data, data.length, { 'Content-Type': 'application/octet-stream', 'X-Amz-Meta-Kind': 'test' })
    const stat = await mc.statObject('minio-js', 'folder/one.bin')
    expect(stat.size).toBe(data.length)
    expect(stat.metaData.kind).toBe('test')
    const chunks: Buffer[] = []
    for await (const c of await mc.getObject('minio-js', 'folder/one.bin')) chunks.push(c as Buffer)
    expect(Buffer.concat(chunks).equals(data)).toBe(true)
    const names: string[] = []
    for await (const o of mc.listObjectsV2('minio-js', '', true)) names.push((o as { name: string }).name)
    expect(names).toEqual(['folder/one.bin'])
    await mc.removeObject('minio-js', 'folder/one.bin')
    await mc.removeBucket('minio-js')
    expect(await mc.bucketExists('minio-js')).toBe(false)
  })

  it('aws CLI: mb, multipart cp with checksum trailers, ls, cp back, rb --force', async () => {
    // Each aws invocation costs seconds of Python start-up: keep them few.
    const env = fx.env()
    const aws = (...args: string[]) => run('aws', ['--endpoint-url', fx.server.url, ...args], { env, timeout: 60_000 })
    const big = join(work, 'big.bin')
    writeFileSync(big, randomBytes(9 * 1024 * 1024 + 7))
    await aws('s3', 'mb', 's3://cli-bucket')
    await aws('s3', 'cp', big, 's3://cli-bucket/dir/big.bin')
    const ls = await aws('s3', 'ls', '--recursive', 's3://cli-bucket')
    expect(ls.stdout).toMatch(new RegExp(`${9 * 1024 * 1024 + 7} dir/big.bin`))
    await aws('s3', 'cp', 's3://cli-bucket/dir/big.bin', join(work, 'big.back'))
    expect(readFileSync(join(work, 'big.back')).equals(readFileSync(big))).toBe(true)
    await aws('s3', 'rb', '--force', 's3://cli-bucket')
    const buckets = await fx.client().send(new ListBucketsCommand({}))
    expect(buckets.Buckets?.map((b) => b.Name)).not.toContain('cli-bucket')
  }, 120_000)

  it('boto3: put with default checksums, get, list_object_versions, delete_objects, presigned', async () => {
    const script = `
import boto3, hashlib, sys, urllib.request, ssl
from botocore.config import Config
s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', config=Config(signature_version='s3v4'))
s3.create_bucket(Bucket='boto-bucket')
body = b'x' * 100000
r = s3.put_object(Bucket='boto-bucket', Key='k1', Body=body, ChecksumAlgorithm='SHA256')
assert r['ETag'] == '"%s"' % hashlib.md5(body).hexdigest(), r['ETag']
s3.put_object(Bucket='boto-bucket', Key='k2', Body=b'two')
g = s3.get_object(Bucket='boto-bucket', Key='k1', ChecksumMode='ENABLED')
assert g['Body'].read() == body
assert g['ChecksumSHA256']
v = s3.list_object_versions(Bucket='boto-bucket')
objs = [{'Key': x['Key'], 'VersionId': x['VersionId']} for x in v['Versions']]
assert [o['VersionId'] for o in objs] == ['null', 'null'], objs
d = s3.delete_objects(Bucket='boto-bucket', Delete={'Objects': objs})
assert len(d['Deleted']) == 2, d
s3.put_object(Bucket='boto-bucket', Key='p', Body=b'presigned')
url = s3.generate_presigned_url('get_object', Params={'Bucket': 'boto-bucket', 'Key': 'p'}, ExpiresIn=60)
ctx = ssl.create_default_context(cafile=sys.argv[2])
assert urllib.request.urlopen(url, context=ctx).read() == b'presigned'
s3.delete_object(Bucket='boto-bucket', Key='p')
s3.delete_bucket(Bucket='boto-bucket')
print('ok')
`
    const out = await run('python3', ['-c', script, fx.server.url, fx.pki.ca.certFile], { env: fx.env(), timeout: 60_000 })
    expect(out.stdout.trim()).toBe('ok')
  }, 60_000)

  it('presigned URLs from the AWS SDK: GET and PUT work, expired and tampered ones are refused', async () => {
    const s3 = fx.client()
    await s3.send(new CreateBucketCommand({ Bucket: 'presign' }))
    const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: 'presign', Key: 'obj' }), { expiresIn: 60 })
    const put = await httpsFetch(putUrl, 'PUT', Buffer.from('via presigned put'))
    expect(put.status).toBe(200)
    const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'presign', Key: 'obj' }), { expiresIn: 60 })
    const got = await httpsFetch(getUrl)
    expect(got.status).toBe(200)
    expect(got.body.toString()).toBe('via presigned put')
    const old = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'presign', Key: 'obj' }), { expiresIn: 60, signingDate: new Date(Date.now() - 3600_000) })
    const expired = await httpsFetch(old)
    expect(expired.status).toBe(403)
    expect(expired.body.toString()).toContain('<Code>AccessDenied</Code><Message>Request has expired</Message>')
    const tampered = await httpsFetch(getUrl.replace('/presign/obj', '/presign/other'))
    expect(tampered.status).toBe(403)
    expect(tampered.body.toString()).toContain('SignatureDoesNotMatch')
  })
})
