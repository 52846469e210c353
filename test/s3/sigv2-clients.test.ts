import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MADMIN_PBKDF2_AES } from '../../src/s3/admin/madmin-crypto.js'
import { signV2, stringToSignV2 } from '../../src/s3/auth/sigv2/canonical.js'
import { adminCall, ROOT, s3Client, startIamServer, type IamServer } from './iam/helpers.js'

const run = promisify(execFile)
let srv: IamServer
let work: string
let caFile: string
let sa: { accessKey: string; secretKey: string }

// alice may do anything in bucket v2 except delete with a SigV2 signature; bob may only read.
const ALICE_POLICY = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: ['s3:*'], Resource: ['arn:aws:s3:::sigv2', 'arn:aws:s3:::sigv2/*'] },
    { Effect: 'Deny', Action: ['s3:DeleteObject'], Resource: ['arn:aws:s3:::sigv2/*'], Condition: { StringEquals: { 's3:signatureversion': 'AWS' } } },
  ],
}
const BOB_POLICY = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: ['arn:aws:s3:::sigv2', 'arn:aws:s3:::sigv2/*'] }],
}

beforeAll(async () => {
  srv = await startIamServer({ responseAlgorithm: MADMIN_PBKDF2_AES })
  work = mkdtempSync(join(tmpdir(), 'keyhold-s3-sigv2-'))
  caFile = join(work, 'ca.pem')
  writeFileSync(caFile, srv.ca)
  await s3Client(srv, ROOT.accessKey, ROOT.secretKey).send(new CreateBucketCommand({ Bucket: 'sigv2' }))
  for (const [name, policy] of [['v2-alice', ALICE_POLICY], ['v2-bob', BOB_POLICY]] as const) {
    expect((await adminCall(srv, ROOT, { method: 'PUT', path: '/add-canned-policy', query: [['name', name]], plain: JSON.stringify(policy) })).status).toBe(200)
  }
  await adminCall(srv, ROOT, { method: 'PUT', path: '/add-user', query: [['accessKey', 'alice']], enc: { secretKey: 'alice-secret-1', status: 'enabled', policy: 'v2-alice' } })
  await adminCall(srv, ROOT, { method: 'PUT', path: '/add-user', query: [['accessKey', 'bob']], enc: { secretKey: 'bob-secret-12', status: 'enabled', policy: 'v2-bob' } })
  const made = await adminCall(srv, { accessKey: 'alice', secretKey: 'alice-secret-1' }, { method: 'PUT', path: '/add-service-account', enc: {}, decrypt: true })
  expect(made.status).toBe(200)
  sa = (made.json as { credentials: typeof sa }).credentials
})
afterAll(async () => {
  await srv?.close()
  if (work !== undefined) rmSync(work, { recursive: true, force: true })
})

// One Python process for all boto3 calls: its start-up costs a second of the two shared cores.
const SCRIPT = `
import json, sys, time, urllib.request, urllib.error, ssl
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
url, ca, sa_key, sa_secret = sys.argv[1:5]
cfg = Config(signature_version='s3', s3={'addressing_style': 'path'}, retries={'max_attempts': 1})
def client(key, secret):
    return boto3.client('s3', endpoint_url=url, region_name='us-east-1', aws_access_key_id=key,
                        aws_secret_access_key=secret, verify=ca, config=cfg)
def code(fn):
    try:
        fn()
        return 'ok'
    except ClientError as e:
        return e.response['Error']['Code']
ctx = ssl.create_default_context(cafile=ca)
def fetch(u, method='GET', data=None):
    try:
        # urllib would add a form Content-Type to a body, which the URL did not sign.
        headers = {} if data is None else {'Content-Type': ''}
        with urllib.request.urlopen(urllib.request.Request(u, method=method, data=data, headers=headers), context=ctx) as r:
            return [r.status, r.read().decode()]
    except urllib.error.HTTPError as e:
        return [e.code, e.read().decode()]
out = {}
alice = client('alice', 'alice-secret-1')
body = b'signed with version 2 ' * 1000
alice.put_object(Bucket='sigv2', Key='dir/one key.txt', Body=body, ContentType='text/plain', Metadata={'kind': 'v2'})
g = alice.get_object(Bucket='sigv2', Key='dir/one key.txt')
out['get'] = [g['Body'].read() == body, g['ContentType'], g['Metadata'].get('kind')]
out['list'] = [o['Key'] for o in alice.list_objects_v2(Bucket='sigv2', Prefix='dir/')['Contents']]
out['head'] = alice.head_object(Bucket='sigv2', Key='dir/one key.txt')['ContentLength']
u = alice.generate_presigned_url('get_object', Params={'Bucket': 'sigv2', 'Key': 'dir/one key.txt', 'ResponseContentType': 'application/x-test'}, ExpiresIn=60)
out['presignedForm'] = ['AWSAccessKeyId=' in u, 'Expires=' in u, 'X-Amz-' not in u]
st, text = fetch(u)
out['presigned'] = [st, text == body.decode()]
out['expired'] = fetch(alice.generate_presigned_url('get_object', Params={'Bucket': 'sigv2', 'Key': 'dir/one key.txt'}, ExpiresIn=-5))
out['tampered'] = fetch(u.replace('one%20key.txt', 'two%20key.txt'))
out['aliceDelete'] = code(lambda: alice.delete_object(Bucket='sigv2', Key='dir/one key.txt'))
bob = client('bob', 'bob-secret-12')
out['bobGet'] = code(lambda: bob.get_object(Bucket='sigv2', Key='dir/one key.txt'))
out['bobPut'] = code(lambda: bob.put_object(Bucket='sigv2', Key='dir/bob.txt', Body=b'x'))
out['bobPresignedPut'] = fetch(bob.generate_presigned_url('put_object', Params={'Bucket': 'sigv2', 'Key': 'dir/bob.txt'}, ExpiresIn=60), 'PUT', b'x')
out['alicePresignedPut'] = fetch(alice.generate_presigned_url('put_object', Params={'Bucket': 'sigv2', 'Key': 'dir/put.txt'}, ExpiresIn=60), 'PUT', b'put by url')[0]
out['alicePut'] = alice.get_object(Bucket='sigv2', Key='dir/put.txt')['Body'].read().decode()
out['wrongSecret'] = code(lambda: client('alice', 'not-alices-secret').head_bucket(Bucket='sigv2'))
sa = client(sa_key, sa_secret)
out['saPut'] = code(lambda: sa.put_object(Bucket='sigv2', Key='dir/sa.txt', Body=b'from a service account'))
out['saGet'] = sa.get_object(Bucket='sigv2', Key='dir/sa.txt')['Body'].read().decode()
print(json.dumps(out))
`

describe('SigV2 from boto3 (signature_version=s3) through IAM', () => {
  it('header-signed put/get/head/list, presigned GET, expiry, tampering, and policy denials', async () => {
    const { stdout } = await run('python3', ['-c', SCRIPT, srv.url, caFile, sa.accessKey, sa.secretKey], {
      timeout: 60_000, env: { ...process.env, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_EC2_METADATA_DISABLED: 'true' },
    })
    const out = JSON.parse(stdout) as Record<string, unknown>
    expect(out.get).toEqual([true, 'text/plain', 'v2'])
    expect(out.list).toEqual(['dir/one key.txt'])
    expect(out.head).toBe(22_000)
    expect(out.presignedForm).toEqual([true, true, true])
    expect(out.presigned).toEqual([200, true])
    const [expiredStatus, expiredBody] = out.expired as [number, string]
    expect(expiredStatus).toBe(403)
    expect(expiredBody).toContain('<Code>AccessDenied</Code><Message>Request has expired</Message>')
    const [tamperedStatus, tamperedBody] = out.tampered as [number, string]
    expect(tamperedStatus).toBe(403)
    expect(tamperedBody).toContain('<Code>SignatureDoesNotMatch</Code>')
    // The policy's Deny on s3:signatureversion = AWS holds for SigV2 only: SigV4 may still delete.
    expect(out.aliceDelete).toBe('AccessDenied')
    expect(out.bobGet).toBe('ok')
    expect(out.bobPut).toBe('AccessDenied')
    expect(out.bobPresignedPut).toEqual([403, expect.stringContaining('<Code>AccessDenied</Code>')])
    expect(out.alicePresignedPut).toBe(200)
    expect(out.alicePut).toBe('put by url')
    expect(out.wrongSecret).toBe('403')
    expect(out.saPut).toBe('ok')
    expect(out.saGet).toBe('from a service account')
    const aliceV4 = s3Client(srv, 'alice', 'alice-secret-1')
    await aliceV4.send(new PutObjectCommand({ Bucket: 'sigv2', Key: 'dir/v4.txt', Body: 'x' }))
    await aliceV4.send(new DeleteObjectCommand({ Bucket: 'sigv2', Key: 'dir/v4.txt' }))
  }, 60_000)

  it('refuses SigV2 on the admin API (as MinIO does), while the same signer may list a bucket', async () => {
    const v2get = (path: string): Promise<number> => new Promise((resolve, reject) => {
      const date = new Date().toUTCString()
      const resource = path.split('?')[0]!
      const sig = signV2(ROOT.secretKey, stringToSignV2({ method: 'GET', contentMd5: '', contentType: '', date, amzHeaders: '', resource })).toString('base64')
      request(`${srv.url}${path}`, { ca: srv.ca, headers: { date, authorization: `AWS ${ROOT.accessKey}:${sig}` } }, (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      }).on('error', reject).end()
    })
    expect(await v2get('/sigv2?list-type=2')).toBe(200)
    expect(await v2get('/minio/admin/v3/list-users')).toBe(403)
  })
})
