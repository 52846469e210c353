import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, ListBucketsCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminCall, ROOT, s3Client, startIamServer, type IamServer } from './helpers.js'

let srv: IamServer
beforeAll(async () => {
  srv = await startIamServer()
  const root = s3Client(srv, ROOT.accessKey, ROOT.secretKey)
  for (const b of ['bucket-a', 'bucket-b']) {
    await root.send(new CreateBucketCommand({ Bucket: b }))
    await root.send(new PutObjectCommand({ Bucket: b, Key: 'hello.txt', Body: `hello from ${b}` }))
  }
})
afterAll(async () => srv?.close())

const errorName = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p
    return 'ok'
  } catch (err) {
    return (err as Error).name
  }
}

describe('the seed scenario through a real S3 client', () => {
  it('alice with readonly reads, cannot write or delete; her bucket-limited service account reads one bucket; disabled and removed are refused', async () => {
    const added = await adminCall(srv, ROOT, { method: 'PUT', path: '/add-user', query: [['accessKey', 'alice']], enc: { secretKey: 'alice-secret-1', status: 'enabled' } })
    expect(added.status).toBe(200)
    const attached = await adminCall(srv, ROOT, { method: 'POST', path: '/idp/builtin/policy/attach', enc: { policies: ['readonly'], user: 'alice' }, decrypt: true })
    expect(attached.status).toBe(200)
    expect(attached.json).toMatchObject({ policiesAttached: ['readonly'] })

    const alice = s3Client(srv, 'alice', 'alice-secret-1')
    const got = await alice.send(new GetObjectCommand({ Bucket: 'bucket-a', Key: 'hello.txt' }))
    expect(await got.Body!.transformToString()).toBe('hello from bucket-a')
    expect(await errorName(alice.send(new PutObjectCommand({ Bucket: 'bucket-a', Key: 'new.txt', Body: 'x' })))).toBe('AccessDenied')
    expect(await errorName(alice.send(new DeleteObjectCommand({ Bucket: 'bucket-a', Key: 'hello.txt' })))).toBe('AccessDenied')
    expect(await errorName(alice.send(new ListObjectsV2Command({ Bucket: 'bucket-a' })))).toBe('AccessDenied') // readonly has no ListBucket
    // MinIO #14903: without s3:ListAllMyBuckets, ListBuckets shows the buckets whose location may be read.
    expect((await alice.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toEqual(['bucket-a', 'bucket-b'])
    expect(await errorName(s3Client(srv, 'alice', 'wrong-secret-1').send(new GetObjectCommand({ Bucket: 'bucket-a', Key: 'hello.txt' })))).toBe('SignatureDoesNotMatch')

    const onlyA = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::bucket-a/*'] }] }
    const created = await adminCall(srv, { accessKey: 'alice', secretKey: 'alice-secret-1' }, {
      method: 'PUT', path: '/add-service-account', enc: { policy: onlyA, name: 'reader-a' }, decrypt: true,
    })
    expect(created.status).toBe(200)
    const { accessKey, secretKey } = (created.json as { credentials: { accessKey: string; secretKey: string } }).credentials
    const svc = s3Client(srv, accessKey, secretKey)
    expect(await (await svc.send(new GetObjectCommand({ Bucket: 'bucket-a', Key: 'hello.txt' }))).Body!.transformToString()).toBe('hello from bucket-a')
    expect(await errorName(svc.send(new GetObjectCommand({ Bucket: 'bucket-b', Key: 'hello.txt' })))).toBe('AccessDenied')
    expect(await errorName(svc.send(new PutObjectCommand({ Bucket: 'bucket-a', Key: 'x', Body: 'x' })))).toBe('AccessDenied')
    expect(await errorName(svc.send(new ListBucketsCommand({})))).toBe('AccessDenied')

    const disabled = await adminCall(srv, ROOT, { method: 'POST', path: '/update-service-account', query: [['accessKey', accessKey]], enc: { newStatus: 'off' } })
    expect(disabled.status).toBe(204)
    expect(await errorName(svc.send(new GetObjectCommand({ Bucket: 'bucket-a', Key: 'hello.txt' })))).toBe('InvalidAccessKeyId')
    await adminCall(srv, ROOT, { method: 'POST', path: '/update-service-account', query: [['accessKey', accessKey]], enc: { newStatus: 'on' } })
    expect(await errorName(svc.send(new GetObjectCommand({ Bucket: 'bucket-a', Key: 'hello.txt' })))).toBe('ok')

    const removed = await adminCall(srv, ROOT, { method: 'DELETE', path: '/delete-service-account', query: [['accessKey', accessKey]] })
    expect(removed.status).toBe(204)
    expect(await errorName(svc.send(new GetObjectCommand({ Bucket: 'bucket-a', Key: 'hello.txt' })))).toBe('InvalidAccessKeyId')

    await adminCall(srv, ROOT, { method: 'PUT', path: '/set-user-status', query: [['accessKey', 'alice'], ['status', 'disabled']] })
    expect(await errorName(alice.send(new GetObjectCommand({ Bucket: 'bucket-a', Key: 'hello.txt' })))).toBe('InvalidAccessKeyId')
    await adminCall(srv, ROOT, { method: 'DELETE', path: '/remove-user', query: [['accessKey', 'alice']] })
    expect(await errorName(alice.send(new GetObjectCommand({ Bucket: 'bucket-a', Key: 'hello.txt' })))).toBe('InvalidAccessKeyId')
  })

  it('bucket policies grant anonymous reads; signed requests are judged by IAM alone', async () => {
    const root = s3Client(srv, ROOT.accessKey, ROOT.secretKey)
    const res = await fetchAnon(`${srv.url}/bucket-b/hello.txt`)
    expect(res.status).toBe(403)
    const { PutBucketPolicyCommand, GetBucketPolicyCommand, DeleteBucketPolicyCommand } = await import('@aws-sdk/client-s3')
    const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: ['*'] }, Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::bucket-b/*'] }] }
    await root.send(new PutBucketPolicyCommand({ Bucket: 'bucket-b', Policy: JSON.stringify(policy) }))
    expect(JSON.parse((await root.send(new GetBucketPolicyCommand({ Bucket: 'bucket-b' }))).Policy!)).toEqual(policy)
    const pub = await fetchAnon(`${srv.url}/bucket-b/hello.txt`)
    expect(pub.status).toBe(200)
    expect(pub.body).toBe('hello from bucket-b')
    expect((await fetchAnon(`${srv.url}/bucket-a/hello.txt`)).status).toBe(403)
    // A signed user with no policy is still refused: bucket policies do not apply to signed requests.
    await adminCall(srv, ROOT, { method: 'PUT', path: '/add-user', query: [['accessKey', 'nopol']], enc: { secretKey: 'nopol-secret', status: 'enabled' } })
    expect(await errorName(s3Client(srv, 'nopol', 'nopol-secret').send(new GetObjectCommand({ Bucket: 'bucket-b', Key: 'hello.txt' })))).toBe('AccessDenied')
    const bad = await errorName(root.send(new PutBucketPolicyCommand({ Bucket: 'bucket-b', Policy: JSON.stringify({ ...policy, Statement: [{ ...policy.Statement[0], Resource: ['arn:aws:s3:::bucket-a/*'] }] }) })))
    expect(bad).toBe('MalformedPolicy')
    await root.send(new DeleteBucketPolicyCommand({ Bucket: 'bucket-b' }))
    expect((await fetchAnon(`${srv.url}/bucket-b/hello.txt`)).status).toBe(403)
  })
})

async function fetchAnon(url: string): Promise<{ status: number; body: string }> {
  const { request } = await import('node:https')
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: srv.ca }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}
