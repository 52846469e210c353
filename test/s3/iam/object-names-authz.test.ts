/**
 * Object names a path would read as another key, refused as MinIO refuses them (found by an attack): policies
 * match resources as cleaned paths, so a user granted exactly `shared/report.txt` could write and read the
 * distinct object `secret/../report.txt`, or `shared//report.txt`, someone else's.
 */
import { CopyObjectCommand, CreateBucketCommand, CreateMultipartUploadCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminCall, ROOT, s3Client, startIamServer, type IamServer } from './helpers.js'

let srv: IamServer
beforeAll(async () => {
  srv = await startIamServer({ responseAlgorithm: 2 })
  const root = s3Client(srv, ROOT.accessKey, ROOT.secretKey)
  await root.send(new CreateBucketCommand({ Bucket: 'shared' }))
  await root.send(new PutObjectCommand({ Bucket: 'shared', Key: 'report.txt', Body: 'mine' }))
  const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: ['arn:aws:s3:::shared/report.txt'] }] }
  expect((await adminCall(srv, ROOT, { method: 'PUT', path: '/add-canned-policy', query: [['name', 'one-object']], plain: JSON.stringify(policy) })).status).toBe(200)
  await adminCall(srv, ROOT, { method: 'PUT', path: '/add-user', query: [['accessKey', 'reporter']], enc: { secretKey: 'reporter-secret-1', status: 'enabled', policy: 'one-object' } })
})
afterAll(async () => srv?.close())

const failure = (p: Promise<unknown>): Promise<string> =>
  p.then(() => 'ok', (err: { name: string; $metadata?: { httpStatusCode?: number } }) => `${err.$metadata?.httpStatusCode} ${err.name}`)

describe('object names with dot segments, doubled or leading slashes', () => {
  const bad = ['secret/../report.txt', 'shared//report.txt', './report.txt', 'a/./b', 'a/ .. /b', '/report.txt']

  it.each(bad)('%s cannot be written, by anyone, in any way', async (key) => {
    const root = s3Client(srv, ROOT.accessKey, ROOT.secretKey)
    expect(await failure(root.send(new PutObjectCommand({ Bucket: 'shared', Key: key, Body: 'x' })))).toBe('400 InvalidObjectName')
    expect(await failure(root.send(new CopyObjectCommand({ Bucket: 'shared', Key: key, CopySource: 'shared/report.txt' })))).toBe('400 InvalidObjectName')
    expect(await failure(root.send(new CreateMultipartUploadCommand({ Bucket: 'shared', Key: key })))).toBe('400 InvalidObjectName')
    // The user is refused too, mostly before that: a grant of `shared/report.txt` names that object only, never a
    // path to it (a leading slash is folded into the resource, as MinIO does, and then refused as a name).
    const user = s3Client(srv, 'reporter', 'reporter-secret-1')
    const answer = await failure(user.send(new PutObjectCommand({ Bucket: 'shared', Key: key, Body: 'x' })))
    expect(answer).toBe(key === '/report.txt' ? '400 InvalidObjectName' : '403 AccessDenied')
  })

  it('leaves names that only look alike alone', async () => {
    const root = s3Client(srv, ROOT.accessKey, ROOT.secretKey)
    for (const key of ['a..b', '...', 'dir/', '.hidden', 'x/..y/z']) {
      expect(await failure(root.send(new PutObjectCommand({ Bucket: 'shared', Key: key, Body: 'x' })))).toBe('ok')
    }
    const user = s3Client(srv, 'reporter', 'reporter-secret-1')
    expect(await failure(user.send(new GetObjectCommand({ Bucket: 'shared', Key: 'report.txt' })))).toBe('ok')
  })
})
