import { randomBytes } from 'node:crypto'
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signedRequest } from '../../../src/cli/keyhold-s3/alias.js'
import { bodyBytes } from '../../helpers/s3.js'
import { startKeyhold, type Keyhold } from './keyhold.js'
import { ROOT, kesEnv, startStore, type Store } from './s3-helper.js'

describe('two Keyhold endpoints, auto-encryption and the KMS admin API', () => {
  let a: Keyhold
  let b: Keyhold
  let store: Store

  beforeAll(async () => {
    a = await startKeyhold()
    b = await startKeyhold({ dir: a.dir }) // same keystore: either endpoint can serve every key
    store = await startStore(kesEnv(a, { MINIO_KMS_KES_ENDPOINT: `${a.url},${b.url}`, MINIO_KMS_AUTO_ENCRYPTION: 'on' }))
    await store.client.send(new CreateBucketCommand({ Bucket: 'auto' }))
  })
  afterAll(async () => {
    await store.close()
    await a.stop().catch(() => undefined)
    await b.stop()
  })

  it('auto-encryption encrypts writes that ask for nothing; one endpoint down fails no request', async () => {
    const c = store.client
    const objects = new Map<string, Buffer>()
    const round = async (tag: string) => {
      for (let i = 0; i < 8; i++) {
        const data = randomBytes(5000 + i)
        const key = `${tag}-${i}`
        const put = await c.send(new PutObjectCommand({ Bucket: 'auto', Key: key, Body: data }))
        expect([put.ServerSideEncryption, put.SSEKMSKeyId]).toEqual(['aws:kms', 'arn:aws:kms:minio-default'])
        objects.set(key, data)
      }
      for (const [key, data] of objects) expect((await bodyBytes(c.send(new GetObjectCommand({ Bucket: 'auto', Key: key })))).equals(data)).toBe(true)
    }
    await round('both-up')
    await a.stop()
    await round('a-down')
    await a.start()
    await b.stop()
    await round('b-down')
    await b.start()
    const head = await c.send(new HeadObjectCommand({ Bucket: 'auto', Key: 'b-down-0' }))
    expect(head.ServerSideEncryption).toBe('aws:kms')
  })

  it('serves MinIO\'s KMS admin endpoints and their admin/v3 twins', async () => {
    const alias = { url: store.server.url, accessKey: ROOT.user, secretKey: ROOT.password, api: 's3v4' as const, path: 'auto' as const }
    const json = async (method: string, path: string, q: Array<[string, string]> = []) => {
      const res = await signedRequest(alias, method, path, q, Buffer.alloc(0), true)
      return { status: res.status, body: res.body.length > 0 ? JSON.parse(res.body.toString()) as unknown : undefined }
    }
    const status = await json('GET', '/minio/kms/v1/status')
    expect(status).toEqual({ status: 200, body: { name: 'MinIO KES', 'default-key-id': 'minio-default', endpoints: { [a.url]: 'online', [b.url]: 'online' } } })
    expect(await json('GET', '/minio/kms/v1/key/status', [['key-id', '']])).toEqual({ status: 200, body: { 'key-id': 'minio-default' } })
    expect(await json('POST', '/minio/kms/v1/key/create', [['key-id', 'tenant-1']])).toEqual({ status: 200, body: undefined })
    const again = await json('POST', '/minio/kms/v1/key/create', [['key-id', 'tenant-1']])
    expect(again.status).toBe(409)
    expect((again.body as { Code: string }).Code).toBe('kms:KeyAlreadyExists')
    expect(await json('GET', '/minio/kms/v1/key/list', [['pattern', 'tenant-*']])).toEqual({ status: 200, body: [{ name: 'tenant-1' }] })
    expect(await json('GET', '/minio/admin/v3/kms/key/status', [['key-id', 'tenant-1']])).toEqual({ status: 200, body: { 'key-id': 'tenant-1' } })
    expect((await json('POST', '/minio/admin/v3/kms/status')).status).toBe(200)
    const forged = await signedRequest({ ...alias, secretKey: 'wrong-secret' }, 'GET', '/minio/kms/v1/status', [], Buffer.alloc(0), true)
    expect(forged.status).toBe(403)
    // A path under the prefix that no route serves is MinIO's JSON error, not Express's HTML 404.
    for (const path of ['/minio/kms/v1/nope', '/minio/admin/v3/kms/nope']) {
      const unknown = await json('POST', path)
      expect([path, unknown.status, (unknown.body as { Code?: string }).Code]).toEqual([path, 400, 'XMinioUnknownAPIRequest'])
    }
  })
})
