import {
  CreateBucketCommand, DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, PutBucketVersioningCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminCall, ROOT, s3Client, startIamServer, type IamServer } from './helpers.js'

let srv: IamServer
beforeAll(async () => {
  srv = await startIamServer()
  const root = s3Client(srv, ROOT.accessKey, ROOT.secretKey)
  await root.send(new CreateBucketCommand({ Bucket: 'kept' }))
  await root.send(new PutBucketVersioningCommand({ Bucket: 'kept', VersioningConfiguration: { Status: 'Enabled' } }))
  const policy = {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['s3:*'], Resource: ['arn:aws:s3:::kept', 'arn:aws:s3:::kept/*'] },
      { Effect: 'Deny', Action: ['s3:DeleteObjectVersion', 's3:PutBucketVersioning'], Resource: ['arn:aws:s3:::kept', 'arn:aws:s3:::kept/*'] },
    ],
  }
  expect((await adminCall(srv, ROOT, { method: 'PUT', path: '/add-canned-policy', query: [['name', 'no-purge']], plain: JSON.stringify(policy) })).status).toBe(200)
  await adminCall(srv, ROOT, { method: 'PUT', path: '/add-user', query: [['accessKey', 'writer']], enc: { secretKey: 'writer-secret-1', status: 'enabled', policy: 'no-purge' } })
})
afterAll(async () => srv?.close())

const outcome = async (p: Promise<unknown>): Promise<string> => p.then(() => 'ok', (err: Error) => err.name)

describe('versioning under IAM', () => {
  it('a Deny of s3:DeleteObjectVersion keeps versions from being purged while delete markers still work', async () => {
    const writer = s3Client(srv, 'writer', 'writer-secret-1')
    const v = await writer.send(new PutObjectCommand({ Bucket: 'kept', Key: 'doc', Body: 'precious' }))
    const marker = await writer.send(new DeleteObjectCommand({ Bucket: 'kept', Key: 'doc' }))
    expect(marker.DeleteMarker).toBe(true)
    expect(await outcome(writer.send(new DeleteObjectCommand({ Bucket: 'kept', Key: 'doc', VersionId: v.VersionId })))).toBe('AccessDenied')
    expect(await outcome(writer.send(new DeleteObjectCommand({ Bucket: 'kept', Key: 'doc', VersionId: marker.VersionId })))).toBe('AccessDenied')
    const multi = await writer.send(new DeleteObjectsCommand({ Bucket: 'kept', Delete: { Objects: [{ Key: 'doc', VersionId: v.VersionId }] } }))
    expect(multi.Errors?.map((e) => e.Code)).toEqual(['AccessDenied'])
    // Versioning cannot be suspended by this user either.
    expect(await outcome(writer.send(new PutBucketVersioningCommand({ Bucket: 'kept', VersioningConfiguration: { Status: 'Suspended' } })))).toBe('AccessDenied')
    const root = s3Client(srv, ROOT.accessKey, ROOT.secretKey)
    const got = await root.send(new GetObjectCommand({ Bucket: 'kept', Key: 'doc', VersionId: v.VersionId }))
    expect(await got.Body!.transformToString()).toBe('precious')
    // The owner is not bound by the Deny of another user's policy.
    await root.send(new DeleteObjectCommand({ Bucket: 'kept', Key: 'doc', VersionId: v.VersionId }))
  })
})
