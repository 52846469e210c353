/**
 * MinIO's `ListObjectsV2?metadata=true` names each object's encryption type (`X-Amz-Server-Side-Encryption`, or
 * the SSE-C algorithm) beside its metadata, as MinIO's console and minio-go's `WithMetadata` read it. It needs
 * no key and no KMS call, and shows no key id, sealed key or customer-key digest.
 */
import { createHash, randomBytes } from 'node:crypto'
import { Agent } from 'node:https'
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import * as Minio from 'minio'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startKeyhold, type Keyhold } from './keyhold.js'
import { ROOT, kesEnv, startStore, type Store } from './s3-helper.js'

let kh: Keyhold
let store: Store
const customerKey = randomBytes(32)

beforeAll(async () => {
  kh = await startKeyhold()
  store = await startStore(kesEnv(kh))
  const c = store.client
  await c.send(new CreateBucketCommand({ Bucket: 'listed' }))
  await c.send(new PutObjectCommand({ Bucket: 'listed', Key: 'kms', Body: 'k', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'minio-default' }))
  await c.send(new PutObjectCommand({ Bucket: 'listed', Key: 'plain', Body: 'p' }))
  await c.send(new PutObjectCommand({ Bucket: 'listed', Key: 's3', Body: 's', ServerSideEncryption: 'AES256' }))
  await c.send(new PutObjectCommand({
    Bucket: 'listed', Key: 'ssec', Body: 'c', SSECustomerAlgorithm: 'AES256', SSECustomerKey: customerKey.toString('base64'),
    SSECustomerKeyMD5: createHash('md5').update(customerKey).digest('base64'),
  }))
})
afterAll(async () => {
  await store?.close()
  await kh?.stop()
})

describe('ListObjectsV2 with metadata=true, encrypted objects', () => {
  it('names each object\'s encryption type as MinIO does, and nothing of its keys', async () => {
    const url = new URL(store.server.url)
    const mc = new Minio.Client({
      endPoint: url.hostname, port: Number(url.port), useSSL: true, region: 'us-east-1',
      accessKey: ROOT.user, secretKey: ROOT.password, transportAgent: new Agent({ ca: store.ca }),
    })
    const listed: Record<string, Record<string, string> | null> = {}
    for await (const o of mc.extensions.listObjectsV2WithMetadata('listed', '', true)) {
      const obj = o as { name: string; metadata: Record<string, string> | null }
      listed[obj.name] = obj.metadata
    }
    expect(listed).toEqual({
      kms: { 'X-Amz-Server-Side-Encryption': 'aws:kms', 'content-type': 'application/octet-stream' },
      plain: { 'content-type': 'application/octet-stream' },
      s3: { 'X-Amz-Server-Side-Encryption': 'AES256', 'content-type': 'application/octet-stream' },
      ssec: { 'X-Amz-Server-Side-Encryption-Customer-Algorithm': 'AES256', 'content-type': 'application/octet-stream' },
    })
  })
})
