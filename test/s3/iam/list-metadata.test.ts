/**
 * MinIO's listing extension `ListObjectsV2?metadata=true`, through minio-js's listObjectsV2WithMetadata: each
 * object's metadata and tags. What an attacker tries first is to read, through a listing, metadata and tags
 * its policy lets it list but not read: they are left out for such a caller.
 */
import { Agent } from 'node:https'
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import * as Minio from 'minio'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminCall, ROOT, s3Client, startIamServer, type IamServer } from './helpers.js'

let srv: IamServer
const LISTER = { accessKey: 'lister', secretKey: 'lister-secret-1' }
const READER = { accessKey: 'reader', secretKey: 'reader-secret-1' }
// May read everything but objects tagged classified=yes: the listing must not show those objects' metadata either.
const CLEARED = { accessKey: 'cleared', secretKey: 'cleared-secret-1' }
const CLEARED_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: ['s3:ListBucket'], Resource: ['arn:aws:s3:::meta'] },
    { Effect: 'Allow', Action: ['s3:GetObject', 's3:GetObjectTagging'], Resource: ['arn:aws:s3:::meta/*'] },
    {
      Effect: 'Deny', Action: ['s3:GetObject', 's3:GetObjectTagging'], Resource: ['arn:aws:s3:::meta/*'],
      Condition: { StringEquals: { 's3:ExistingObjectTag/classified': 'yes' } },
    },
  ],
})
const policy = (actions: string[]): string => JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: ['s3:ListBucket'], Resource: ['arn:aws:s3:::meta'] },
    ...(actions.length > 0 ? [{ Effect: 'Allow', Action: actions, Resource: ['arn:aws:s3:::meta/*'] }] : []),
  ],
})

beforeAll(async () => {
  srv = await startIamServer({ responseAlgorithm: 2 })
  const root = s3Client(srv, ROOT.accessKey, ROOT.secretKey)
  await root.send(new CreateBucketCommand({ Bucket: 'meta' }))
  await root.send(new PutObjectCommand({
    Bucket: 'meta', Key: 'doc.txt', Body: 'x', ContentType: 'text/plain', ContentDisposition: 'inline',
    Metadata: { 'project-name': 'apollo' }, Tagging: 'team=blue&level=3',
  }))
  await root.send(new PutObjectCommand({ Bucket: 'meta', Key: 'plain.bin', Body: 'y' }))
  for (const [user, actions] of [[LISTER, []], [READER, ['s3:GetObject', 's3:GetObjectTagging']]] as const) {
    expect((await adminCall(srv, ROOT, { method: 'PUT', path: '/add-canned-policy', query: [['name', `${user.accessKey}-p`]], plain: policy([...actions]) })).status).toBe(200)
    expect((await adminCall(srv, ROOT, { method: 'PUT', path: '/add-user', query: [['accessKey', user.accessKey]], enc: { secretKey: user.secretKey, status: 'enabled', policy: `${user.accessKey}-p` } })).status).toBe(200)
  }
  expect((await adminCall(srv, ROOT, { method: 'PUT', path: '/add-canned-policy', query: [['name', 'cleared-p']], plain: CLEARED_POLICY })).status).toBe(200)
  expect((await adminCall(srv, ROOT, { method: 'PUT', path: '/add-user', query: [['accessKey', CLEARED.accessKey]], enc: { secretKey: CLEARED.secretKey, status: 'enabled', policy: 'cleared-p' } })).status).toBe(200)
})
afterAll(async () => {
  await srv?.close()
})

interface Listed { name: string; metadata: Record<string, string> | null; tags: Record<string, string> }

async function listWithMetadata(creds: { accessKey: string; secretKey: string }): Promise<Listed[]> {
  const url = new URL(srv.url)
  const mc = new Minio.Client({
    endPoint: url.hostname, port: Number(url.port), useSSL: true, region: 'us-east-1', ...creds,
    transportAgent: new Agent({ ca: srv.ca }),
  })
  const out: Listed[] = []
  for await (const o of mc.extensions.listObjectsV2WithMetadata('meta', '', true)) {
    const obj = o as { name: string; metadata: Record<string, string> | null; tags?: Record<string, string> }
    out.push({ name: obj.name, metadata: obj.metadata, tags: obj.tags ?? {} })
  }
  return out
}

describe('ListObjectsV2 with metadata=true', () => {
  it('lists each object with its content headers, user metadata and tags, as MinIO keys them', async () => {
    const listed = await listWithMetadata(ROOT)
    expect(listed.map((o) => o.name)).toEqual(['doc.txt', 'plain.bin'])
    expect(listed[0]!.metadata).toEqual({
      'content-type': 'text/plain', 'content-disposition': 'inline', 'X-Amz-Meta-Project-Name': 'apollo',
    })
    expect(listed[0]!.tags).toEqual({ team: 'blue', level: '3' })
    expect(listed[1]!.metadata).toEqual({ 'content-type': 'application/octet-stream' })
  })

  it('shows metadata and tags to a caller who may read them, and not to one who may only list', async () => {
    const reader = await listWithMetadata(READER)
    expect(reader[0]!.metadata).toMatchObject({ 'X-Amz-Meta-Project-Name': 'apollo' })
    expect(reader[0]!.tags).toEqual({ team: 'blue', level: '3' })
    const lister = await listWithMetadata(LISTER)
    expect(lister.map((o) => o.name)).toEqual(['doc.txt', 'plain.bin'])
    for (const o of lister) {
      expect(o.metadata).toBeNull()
      expect(o.tags).toEqual({})
    }
  })

  it('leaves out a metadata name XML cannot spell, so the listing stays readable for every client', async () => {
    // `!` is allowed in a header name, not in an XML element name: shown, it would break the whole listing.
    await s3Client(srv, ROOT.accessKey, ROOT.secretKey).send(new PutObjectCommand({
      Bucket: 'meta', Key: 'zz-odd', Body: 'z', Metadata: { 'a!b': 'hidden', ok: 'shown' },
    }))
    const odd = (await listWithMetadata(ROOT)).find((o) => o.name === 'zz-odd')!
    expect(odd.metadata).toEqual({ 'content-type': 'application/octet-stream', 'X-Amz-Meta-Ok': 'shown' })
  })

  it('follows Deny statements on an object\'s own tags: a classified object is listed without its metadata', async () => {
    const root = s3Client(srv, ROOT.accessKey, ROOT.secretKey)
    await root.send(new PutObjectCommand({ Bucket: 'meta', Key: 'secret.txt', Body: 's', Metadata: { codename: 'x' }, Tagging: 'classified=yes' }))
    const listed = await listWithMetadata(CLEARED)
    const secret = listed.find((o) => o.name === 'secret.txt')!
    expect(secret.metadata).toBeNull()
    expect(secret.tags).toEqual({})
    expect(listed.find((o) => o.name === 'doc.txt')!.metadata).toMatchObject({ 'X-Amz-Meta-Project-Name': 'apollo' })
  })
})
