/**
 * Object lock under IAM, as an attacker would probe it: the bypass header is worth nothing without
 * s3:BypassGovernanceRetention, lock headers and default retention need s3:PutObjectRetention /
 * s3:PutObjectLegalHold, a lock bucket needs s3:PutBucketObjectLockConfiguration, and a caller who may not read
 * a lock does not see it on HEAD.
 */
import {
  CreateBucketCommand, DeleteObjectCommand, DeleteObjectsCommand, GetObjectAttributesCommand, HeadObjectCommand, PutObjectCommand,
  PutObjectLegalHoldCommand, PutObjectLockConfigurationCommand, PutObjectRetentionCommand,
} from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminCall, ROOT, s3Client, startIamServer, type IamServer } from './helpers.js'

let srv: IamServer
const DAY = 86_400_000
const future = (days: number): Date => new Date(Math.floor((Date.now() + days * DAY) / 1000) * 1000)

async function addUser(name: string, policy: object): Promise<void> {
  expect((await adminCall(srv, ROOT, { method: 'PUT', path: '/add-canned-policy', query: [['name', `${name}-policy`]], plain: JSON.stringify(policy) })).status).toBe(200)
  expect((await adminCall(srv, ROOT, { method: 'PUT', path: '/add-user', query: [['accessKey', name]], enc: { secretKey: `${name}-secret-1`, status: 'enabled', policy: `${name}-policy` } })).status).toBe(200)
}

beforeAll(async () => {
  srv = await startIamServer({ responseAlgorithm: 2 })
  const root = s3Client(srv, ROOT.accessKey, ROOT.secretKey)
  await root.send(new CreateBucketCommand({ Bucket: 'vault', ObjectLockEnabledForBucket: true }))
  await root.send(new CreateBucketCommand({ Bucket: 'defaulted', ObjectLockEnabledForBucket: true }))
  await root.send(new PutObjectLockConfigurationCommand({ Bucket: 'defaulted', ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } } } }))
  const all = ['arn:aws:s3:::*']
  // clerk may do everything but bypass governance or read locks.
  await addUser('clerk', { Version: '2012-10-17', Statement: [
    { Effect: 'Allow', Action: ['s3:*'], Resource: all },
    { Effect: 'Deny', Action: ['s3:BypassGovernanceRetention', 's3:GetObjectRetention', 's3:GetObjectLegalHold'], Resource: all },
  ] })
  // writer may write, read and delete objects and create buckets, and nothing of object lock.
  await addUser('writer', { Version: '2012-10-17', Statement: [
    { Effect: 'Allow', Action: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject', 's3:ListBucket', 's3:CreateBucket'], Resource: all },
  ] })
})
afterAll(async () => srv?.close())

const codeOf = async (p: Promise<unknown>): Promise<string> => p.then(() => 'ok', (err: Error) => err.name)

describe('object lock under IAM', () => {
  it('the bypass header does not let a caller without s3:BypassGovernanceRetention delete or weaken a governance lock', async () => {
    const clerk = s3Client(srv, 'clerk', 'clerk-secret-1')
    const v = await clerk.send(new PutObjectCommand({ Bucket: 'vault', Key: 'g', Body: 'x', ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: future(5) }))
    expect(await codeOf(clerk.send(new DeleteObjectCommand({ Bucket: 'vault', Key: 'g', VersionId: v.VersionId, BypassGovernanceRetention: true })))).toBe('AccessDenied')
    const multi = await clerk.send(new DeleteObjectsCommand({ Bucket: 'vault', BypassGovernanceRetention: true, Delete: { Objects: [{ Key: 'g', VersionId: v.VersionId }] } }))
    expect(multi.Errors?.map((e) => [e.Key, e.Code])).toEqual([['g', 'AccessDenied']])
    expect(await codeOf(clerk.send(new PutObjectRetentionCommand({ Bucket: 'vault', Key: 'g', VersionId: v.VersionId, BypassGovernanceRetention: true, Retention: { Mode: 'GOVERNANCE', RetainUntilDate: future(1) } })))).toBe('AccessDenied')
    expect(await codeOf(clerk.send(new PutObjectRetentionCommand({ Bucket: 'vault', Key: 'g', VersionId: v.VersionId, BypassGovernanceRetention: true, Retention: { Mode: 'COMPLIANCE', RetainUntilDate: future(6) } })))).toBe('AccessDenied')
    // Extending needs no bypass.
    expect(await codeOf(clerk.send(new PutObjectRetentionCommand({ Bucket: 'vault', Key: 'g', VersionId: v.VersionId, Retention: { Mode: 'GOVERNANCE', RetainUntilDate: future(6) } })))).toBe('ok')
    // The lock is hidden from a caller who may not read it, and shown to root.
    const seen = await clerk.send(new HeadObjectCommand({ Bucket: 'vault', Key: 'g', VersionId: v.VersionId }))
    expect([seen.ObjectLockMode, seen.ObjectLockRetainUntilDate]).toEqual([undefined, undefined])
    const root = s3Client(srv, ROOT.accessKey, ROOT.secretKey)
    expect((await root.send(new HeadObjectCommand({ Bucket: 'vault', Key: 'g', VersionId: v.VersionId }))).ObjectLockMode).toBe('GOVERNANCE')
    // Root holds every permission: the bypass works for it.
    await root.send(new DeleteObjectCommand({ Bucket: 'vault', Key: 'g', VersionId: v.VersionId, BypassGovernanceRetention: true }))
  })

  it('setting a lock, default retention included, needs the lock permissions', async () => {
    const writer = s3Client(srv, 'writer', 'writer-secret-1')
    expect(await codeOf(writer.send(new PutObjectCommand({ Bucket: 'vault', Key: 'w', Body: 'x', ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: future(1) })))).toBe('AccessDenied')
    expect(await codeOf(writer.send(new PutObjectCommand({ Bucket: 'vault', Key: 'w', Body: 'x', ObjectLockLegalHoldStatus: 'ON' })))).toBe('AccessDenied')
    // MinIO asks for s3:PutObjectRetention when the bucket's default retention would apply.
    expect(await codeOf(writer.send(new PutObjectCommand({ Bucket: 'defaulted', Key: 'w', Body: 'x' })))).toBe('AccessDenied')
    const v = await writer.send(new PutObjectCommand({ Bucket: 'vault', Key: 'w', Body: 'x' }))
    expect(await codeOf(writer.send(new PutObjectRetentionCommand({ Bucket: 'vault', Key: 'w', Retention: { Mode: 'COMPLIANCE', RetainUntilDate: future(1) } })))).toBe('AccessDenied')
    expect(await codeOf(writer.send(new PutObjectLegalHoldCommand({ Bucket: 'vault', Key: 'w', LegalHold: { Status: 'ON' } })))).toBe('AccessDenied')
    expect(await codeOf(writer.send(new CreateBucketCommand({ Bucket: 'writer-locked', ObjectLockEnabledForBucket: true })))).toBe('AccessDenied')
    expect(await codeOf(writer.send(new CreateBucketCommand({ Bucket: 'writer-plain' })))).toBe('ok')
    // GetObjectAttributes needs its own action besides s3:GetObject, as in MinIO.
    expect(await codeOf(writer.send(new GetObjectAttributesCommand({ Bucket: 'vault', Key: 'w', ObjectAttributes: ['ETag'] })))).toBe('AccessDenied')
    const clerk = s3Client(srv, 'clerk', 'clerk-secret-1')
    expect(await codeOf(clerk.send(new GetObjectAttributesCommand({ Bucket: 'vault', Key: 'w', ObjectAttributes: ['ETag'] })))).toBe('ok')
    // Nothing was locked: the version goes.
    expect(await codeOf(writer.send(new DeleteObjectCommand({ Bucket: 'vault', Key: 'w', VersionId: v.VersionId })))).toBe('ok')
  })
})
