/**
 * SSE fields of a browser form upload, with a real Keyhold: `x-amz-server-side-encryption: AES256` seals the
 * object under SSE-S3, and the SSE-C key fields seal it under the customer's key (readable only with it).
 */
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testPki } from '../../helpers/pki.js'
import { s3error } from '../../helpers/s3.js'
import { startKeyhold, type Keyhold } from './keyhold.js'
import { kesEnv, ROOT, startStore, type Store } from './s3-helper.js'

const run = promisify(execFile)
let kh: Keyhold
let store: Store

beforeAll(async () => {
  kh = await startKeyhold()
  store = await startStore(kesEnv(kh))
  await store.client.send(new CreateBucketCommand({ Bucket: 'sse-forms' }))
})
afterAll(async () => {
  await store?.close()
  await kh?.stop()
})

const SCRIPT = `
import boto3, sys, json, requests
from botocore.config import Config
url, ca, user, secret, key_b64, md5_b64 = sys.argv[1:7]
c = boto3.client('s3', endpoint_url=url, verify=ca, aws_access_key_id=user, aws_secret_access_key=secret, region_name='us-east-1',
    config=Config(signature_version='s3v4', s3={'addressing_style': 'path'}))
def post(key, fields):
    p = c.generate_presigned_post('sse-forms', key, Fields=fields, Conditions=[{k: v} for k, v in fields.items()], ExpiresIn=300)
    r = requests.post(p['url'], data=p['fields'], files={'file': ('f', b'sealed form bytes')}, verify=ca)
    return {'status': r.status_code, 'sse': r.headers.get('x-amz-server-side-encryption', '')}
out = {
  's3': post('by-sse-s3', {'x-amz-server-side-encryption': 'AES256'}),
  'c': post('by-sse-c', {'x-amz-server-side-encryption-customer-algorithm': 'AES256',
    'x-amz-server-side-encryption-customer-key': key_b64, 'x-amz-server-side-encryption-customer-key-md5': md5_b64}),
}
print(json.dumps(out))
`

describe('POST policy with SSE fields', () => {
  it('SSE-S3 and SSE-C form uploads are sealed and read back (SSE-C only with its key)', async () => {
    const key = randomBytes(32)
    const md5 = createHash('md5').update(key).digest('base64')
    const pki = await testPki()
    const { stdout } = await run('python3', ['-c', SCRIPT, store.server.url, pki.ca.certFile, ROOT.user, ROOT.password, key.toString('base64'), md5], {
      timeout: 60_000, env: { ...process.env, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' },
    })
    expect(JSON.parse(stdout)).toEqual({ s3: { status: 204, sse: 'AES256' }, c: { status: 204, sse: '' } })
    const head = await store.client.send(new HeadObjectCommand({ Bucket: 'sse-forms', Key: 'by-sse-s3' }))
    expect(head.ServerSideEncryption).toBe('AES256')
    const ssec = { SSECustomerAlgorithm: 'AES256', SSECustomerKey: key.toString('base64'), SSECustomerKeyMD5: md5 }
    const got = await store.client.send(new GetObjectCommand({ Bucket: 'sse-forms', Key: 'by-sse-c', ...ssec }))
    expect(Buffer.from(await got.Body!.transformToByteArray()).toString()).toBe('sealed form bytes')
    const without = await s3error(store.client.send(new GetObjectCommand({ Bucket: 'sse-forms', Key: 'by-sse-c' })))
    expect(without.$metadata.httpStatusCode).toBe(400)
  })
})
