/**
 * An `x-amz-*` header the signature does not cover is refused (403 AccessDenied, HeadersNotSigned), on presigned
 * URLs and header-signed requests alike, as AWS refuses it. Such headers change what a request does: whoever holds
 * a presigned PUT URL could otherwise turn it into a copy of any object the signer may read, seal it under an
 * SSE-C key the owner does not know, tag it, or lock it; and a signed request could be replayed with them added.
 */
import { request } from 'node:https'
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import { describe, expect, it } from 'vitest'
import { bodyBytes, s3error, useS3 } from '../helpers/s3.js'

const fx = useS3({ buckets: ['vault', 'upload'] })

function send(url: string, method: string, headers: Record<string, string>, body = ''): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, ca: fx.pki.ca.certPem }, (res) => {
      let text = ''
      res.on('data', (c: Buffer) => (text += c.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

const REFUSED = '<Code>AccessDenied</Code><Message>There were headers present in the request which were not signed</Message>'

describe('unsigned x-amz-* headers', () => {
  it('a presigned PUT URL cannot be turned into a copy, an SSE-C write, a tagged or a locked write', async () => {
    const s3 = fx.client()
    await s3.send(new PutObjectCommand({ Bucket: 'vault', Key: 'secret.txt', Body: 'TOP SECRET' }))
    const url = await getSignedUrl(s3, new PutObjectCommand({ Bucket: 'upload', Key: 'incoming.txt' }), { expiresIn: 60 })
    const key = Buffer.alloc(32, 7)
    const added: Array<Record<string, string>> = [
      { 'x-amz-copy-source': '/vault/secret.txt' },
      {
        'x-amz-server-side-encryption-customer-algorithm': 'AES256', 'x-amz-server-side-encryption-customer-key': key.toString('base64'),
        'x-amz-server-side-encryption-customer-key-md5': '',
      },
      { 'x-amz-tagging': 'public=yes' },
      { 'x-amz-meta-owner': 'mallory' },
      { 'x-amz-object-lock-mode': 'COMPLIANCE', 'x-amz-object-lock-retain-until-date': '2036-01-01T00:00:00Z' },
    ]
    for (const headers of added) {
      const r = await send(url, 'PUT', headers, 'mallory was here')
      expect([r.status, r.body.includes(REFUSED)], JSON.stringify(headers)).toEqual([403, true])
      expect(r.body).toContain(`<HeadersNotSigned>${Object.keys(headers).join(', ')}</HeadersNotSigned>`)
    }
    expect((await s3error(s3.send(new GetObjectCommand({ Bucket: 'upload', Key: 'incoming.txt' })))).name).toBe('NoSuchKey')
    // The URL as signed still works, and so does a header the signer chose to sign.
    expect((await send(url, 'PUT', {}, 'as signed')).status).toBe(200)
    const withMeta = await getSignedUrl(s3, new PutObjectCommand({ Bucket: 'upload', Key: 'meta.txt', Metadata: { team: 'blue' } }),
      { expiresIn: 60, unhoistableHeaders: new Set(['x-amz-meta-team']) })
    expect(new URL(withMeta).searchParams.get('X-Amz-SignedHeaders')).toContain('x-amz-meta-team')
    expect((await send(withMeta, 'PUT', { 'x-amz-meta-team': 'blue' }, 'signed meta')).status).toBe(200)
    expect((await bodyBytes(s3.send(new GetObjectCommand({ Bucket: 'upload', Key: 'incoming.txt' })))).toString()).toBe('as signed')
  })

  it('a header-signed request with an x-amz-* header added after signing is refused', async () => {
    const s3 = fx.client()
    // Innermost: runs on the request as signed, just before it is sent (what a replay with a header added is).
    s3.middlewareStack.add((next) => async (args) => {
      const req = args.request as { headers: Record<string, string> }
      req.headers['x-amz-copy-source'] = '/vault/secret.txt'
      return next(args)
    }, { step: 'deserialize', priority: 'low' })
    const err = await s3error(s3.send(new PutObjectCommand({ Bucket: 'upload', Key: 'replayed.txt', Body: 'replayed' })))
    expect([err.name, err.$metadata.httpStatusCode, err.message]).toEqual(['AccessDenied', 403, 'There were headers present in the request which were not signed'])
    expect((await s3error(fx.client().send(new GetObjectCommand({ Bucket: 'upload', Key: 'replayed.txt' })))).name).toBe('NoSuchKey')
  })
})
