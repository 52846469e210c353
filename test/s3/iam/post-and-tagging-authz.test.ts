/**
 * A browser form upload is authorized as its policy's signer for its key, as a PUT is (IAM and bucket
 * policies alike), and tags on a PUT need s3:PutObjectTagging as MinIO asks: the attacks a low-privilege
 * user or an anonymous browser would try first.
 */
import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { CreateBucketCommand, PutBucketPolicyCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { s3error } from '../../helpers/s3.js'
import { adminCall, ROOT, s3Client, startIamServer, type IamServer } from './helpers.js'

const run = promisify(execFile)
let srv: IamServer
let caFile: string

const PUT_ONLY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:PutObject'], Resource: ['arn:aws:s3:::posts/*'] }],
})

beforeAll(async () => {
  srv = await startIamServer({ responseAlgorithm: 2 })
  caFile = join(srv.dir, 'ca.pem')
  writeFileSync(caFile, srv.ca)
  await s3Client(srv, ROOT.accessKey, ROOT.secretKey).send(new CreateBucketCommand({ Bucket: 'posts' }))
  expect((await adminCall(srv, ROOT, { method: 'PUT', path: '/add-canned-policy', query: [['name', 'put-only']], plain: PUT_ONLY })).status).toBe(200)
  for (const [user, policy] of [['reader', 'readonly'], ['writer', 'put-only']] as const) {
    await adminCall(srv, ROOT, { method: 'PUT', path: '/add-user', query: [['accessKey', user]], enc: { secretKey: `${user}-secret-123`, status: 'enabled' } })
    await adminCall(srv, ROOT, { method: 'POST', path: '/idp/builtin/policy/attach', enc: { policies: [policy], user } })
  }
  await s3Client(srv, ROOT.accessKey, ROOT.secretKey).send(new PutBucketPolicyCommand({
    Bucket: 'posts',
    Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: ['*'] }, Action: ['s3:PutObject'], Resource: ['arn:aws:s3:::posts/public/*'] }] }),
  }))
})
afterAll(async () => {
  await srv?.close()
})

const SCRIPT = `
import boto3, sys, json, requests
from botocore.config import Config
url, ca = sys.argv[1], sys.argv[2]
def signed(user):
    c = boto3.client('s3', endpoint_url=url, verify=ca, aws_access_key_id=user, aws_secret_access_key=user + '-secret-123',
        region_name='us-east-1', config=Config(signature_version='s3v4', s3={'addressing_style': 'path'}))
    p = c.generate_presigned_post('posts', 'from-' + user, ExpiresIn=300)
    return requests.post(p['url'], data=p['fields'], files={'file': ('f', b'data')}, verify=ca).status_code
def anon(key):
    return requests.post(url + '/posts', data={'key': key}, files={'file': ('f', b'data')}, verify=ca).status_code
print(json.dumps({'reader': signed('reader'), 'writer': signed('writer'), 'anon_public': anon('public/x'), 'anon_private': anon('private/x')}))
`

describe('authorization of form uploads and tags', () => {
  it('POST: a read-only signer is refused, a writer and an anonymous form under a bucket policy grant are not', async () => {
    const { stdout } = await run('python3', ['-c', SCRIPT, srv.url, caFile], { timeout: 60_000, env: { ...process.env, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' } })
    expect(JSON.parse(stdout)).toEqual({ reader: 403, writer: 204, anon_public: 204, anon_private: 403 })
  })

  it('PUT with x-amz-tagging needs s3:PutObjectTagging; without tags the same user may PUT', async () => {
    const writer = s3Client(srv, 'writer', 'writer-secret-123')
    await writer.send(new PutObjectCommand({ Bucket: 'posts', Key: 'plain', Body: 'x' }))
    const e = await s3error(writer.send(new PutObjectCommand({ Bucket: 'posts', Key: 'tagged', Body: 'x', Tagging: 'a=1' })))
    expect([e.$metadata.httpStatusCode, e.name]).toEqual([403, 'AccessDenied'])
  })
})
