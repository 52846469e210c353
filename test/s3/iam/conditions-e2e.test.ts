import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, CreateBucketCommand } from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import { request } from 'node:https'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MADMIN_PBKDF2_AES } from '../../../src/s3/admin/madmin-crypto.js'
import { adminCall, ROOT, s3Client, startIamServer, type IamServer } from './helpers.js'

let srv: IamServer
beforeAll(async () => {
  srv = await startIamServer({ responseAlgorithm: MADMIN_PBKDF2_AES })
  const root = s3Client(srv, ROOT.accessKey, ROOT.secretKey)
  await root.send(new CreateBucketCommand({ Bucket: 'home' }))
  for (const k of ['alice/a.txt', 'bob/b.txt']) await root.send(new PutObjectCommand({ Bucket: 'home', Key: k, Body: k }))
  const policy = {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['s3:ListBucket'], Resource: ['arn:aws:s3:::home'], Condition: { StringLike: { 's3:prefix': ['${aws:username}/*'] } } },
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: ['arn:aws:s3:::home/${aws:username}/*'], Condition: { Bool: { 'aws:SecureTransport': 'true' }, IpAddress: { 'aws:SourceIp': ['127.0.0.0/8', '::1/128'] } } },
      { Effect: 'Deny', Action: ['s3:PutObject'], Resource: ['arn:aws:s3:::home/*'], Condition: { DateGreaterThan: { 'aws:CurrentTime': '2000-01-01T00:00:00Z' }, StringEquals: { 's3:x-amz-storage-class': 'GLACIER' } } },
    ],
  }
  expect((await adminCall(srv, ROOT, { method: 'PUT', path: '/add-canned-policy', query: [['name', 'home-dirs']], plain: JSON.stringify(policy) })).status).toBe(200)
  await adminCall(srv, ROOT, { method: 'PUT', path: '/add-user', query: [['accessKey', 'alice']], enc: { secretKey: 'alice-secret-1', status: 'enabled', policy: 'home-dirs' } })
})
afterAll(async () => srv?.close())

const outcome = async (p: Promise<unknown>): Promise<string> => p.then(() => 'ok', (err: Error) => err.name)

describe('conditions fed by the S3 core, evaluated by IAM', () => {
  it('limits listing by s3:prefix with ${aws:username}, objects by TLS and source IP, and denies over allow', async () => {
    const alice = s3Client(srv, 'alice', 'alice-secret-1')
    const listed = await alice.send(new ListObjectsV2Command({ Bucket: 'home', Prefix: 'alice/' }))
    expect(listed.Contents?.map((o) => o.Key)).toEqual(['alice/a.txt'])
    expect(await outcome(alice.send(new ListObjectsV2Command({ Bucket: 'home', Prefix: 'bob/' })))).toBe('AccessDenied')
    expect(await outcome(alice.send(new ListObjectsV2Command({ Bucket: 'home' })))).toBe('AccessDenied')
    expect(await outcome(alice.send(new GetObjectCommand({ Bucket: 'home', Key: 'alice/a.txt' })))).toBe('ok')
    expect(await outcome(alice.send(new GetObjectCommand({ Bucket: 'home', Key: 'bob/b.txt' })))).toBe('AccessDenied')
    expect(await outcome(alice.send(new PutObjectCommand({ Bucket: 'home', Key: 'alice/new.txt', Body: 'x' })))).toBe('ok')
    expect(await outcome(alice.send(new PutObjectCommand({ Bucket: 'home', Key: 'alice/cold.txt', Body: 'x', StorageClass: 'GLACIER' })))).toBe('AccessDenied')
  })

  it('serves presigned downloads under the signer\'s policy', async () => {
    const alice = s3Client(srv, 'alice', 'alice-secret-1')
    const get = async (url: string): Promise<number> => new Promise((resolve, reject) => {
      request(url, { ca: srv.ca }, (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      }).on('error', reject).end()
    })
    expect(await get(await getSignedUrl(alice, new GetObjectCommand({ Bucket: 'home', Key: 'alice/a.txt' }), { expiresIn: 60 }))).toBe(200)
    expect(await get(await getSignedUrl(alice, new GetObjectCommand({ Bucket: 'home', Key: 'bob/b.txt' }), { expiresIn: 60 }))).toBe(403)
  })
})
