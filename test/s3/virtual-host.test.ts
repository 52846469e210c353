import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { Agent } from 'node:https'
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT_PASSWORD, ROOT_USER, startS3, type S3Fixture } from '../helpers/s3.js'

let fx: S3Fixture
beforeAll(async () => {
  fx = await startS3({ domain: 's3.test' })
})
afterAll(async () => {
  await fx?.close()
})

describe('virtual-host style requests under a configured domain', () => {
  it('routes BUCKET.s3.test to the bucket, path-style keeps working', async () => {
    // Resolve *.s3.test to loopback; the certificate is for localhost, so skip the name check (TLS still on).
    const lookup = ((_host: string, options: unknown, cb: (err: null, address: string | LookupAddress[], family?: number) => void) => {
      if ((options as { all?: boolean }).all === true) cb(null, [{ address: '127.0.0.1', family: 4 }])
      else cb(null, '127.0.0.1', 4)
    }) as unknown as typeof dnsLookup
    const port = new URL(fx.server.url).port
    const vhost = new S3Client({
      endpoint: `https://s3.test:${port}`, region: 'us-east-1', forcePathStyle: false, maxAttempts: 1,
      credentials: { accessKeyId: ROOT_USER, secretAccessKey: ROOT_PASSWORD },
      requestHandler: { httpsAgent: new Agent({ ca: fx.pki.ca.certPem, lookup, checkServerIdentity: () => undefined }) },
    })
    try {
      await vhost.send(new CreateBucketCommand({ Bucket: 'vhost' }))
      await vhost.send(new PutObjectCommand({ Bucket: 'vhost', Key: 'a/b.txt', Body: 'virtual' }))
      const got = await vhost.send(new GetObjectCommand({ Bucket: 'vhost', Key: 'a/b.txt' }))
      expect(await got.Body!.transformToString()).toBe('virtual')
      const listed = await vhost.send(new ListObjectsV2Command({ Bucket: 'vhost' }))
      expect(listed.Contents?.map((c) => c.Key)).toEqual(['a/b.txt'])
      const path = await fx.client().send(new GetObjectCommand({ Bucket: 'vhost', Key: 'a/b.txt' }))
      expect(await path.Body!.transformToString()).toBe('virtual')
    } finally {
      vhost.destroy()
    }
  })
})
