/**
 * GetBucketPolicyStatus as MinIO answers it (IsPublic TRUE only when anonymous callers may both list and
 * write through the bucket policy), and reads refused with 400 BadRequest when they carry SSE-S3 or SSE-KMS
 * request headers, as MinIO refuses them. With the AWS SDK.
 */
import {
  GetBucketPolicyStatusCommand, GetObjectCommand, HeadObjectCommand, PutBucketPolicyCommand, PutObjectCommand,
} from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, s3Client, startIamServer, type IamServer } from './iam/helpers.js'

let srv: IamServer
beforeAll(async () => {
  srv = await startIamServer({ responseAlgorithm: 2 })
})
afterAll(async () => srv?.close())

const statement = (Action: string[], extra: Record<string, unknown> = {}) =>
  ({ Effect: 'Allow', Principal: { AWS: ['*'] }, Action, Resource: ['arn:aws:s3:::status', 'arn:aws:s3:::status/*'], ...extra })

describe('GetBucketPolicyStatus', () => {
  it('is public only when the bucket policy lets anyone list and write', async () => {
    const root = s3Client(srv, ROOT.accessKey, ROOT.secretKey)
    const { CreateBucketCommand } = await import('@aws-sdk/client-s3')
    await root.send(new CreateBucketCommand({ Bucket: 'status' }))
    const isPublic = async () => (await root.send(new GetBucketPolicyStatusCommand({ Bucket: 'status' }))).PolicyStatus?.IsPublic
    const policy = (...Statement: unknown[]) =>
      root.send(new PutBucketPolicyCommand({ Bucket: 'status', Policy: JSON.stringify({ Version: '2012-10-17', Statement }) }))
    expect(await isPublic()).toBe(false)
    await policy(statement(['s3:ListBucket']))
    expect(await isPublic()).toBe(false)
    await policy(statement(['s3:ListBucket', 's3:PutObject'], { Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/32' } } }))
    expect(await isPublic()).toBe(false)
    await policy(statement(['s3:ListBucket', 's3:PutObject']))
    expect(await isPublic()).toBe(true)
    // Anonymous callers may not ask, even of a public bucket, unless the policy says so.
    const anonymous = s3Client(srv, 'unused', 'unused')
    anonymous.middlewareStack.add((next) => (args) => {
      const h = (args.request as { headers: Record<string, string> }).headers
      for (const k of Object.keys(h)) if (/^(authorization|x-amz-date|x-amz-content-sha256|x-amz-security-token)$/i.test(k)) delete h[k]
      return next(args)
    }, { step: 'finalizeRequest', priority: 'low', name: 'unsign' })
    const asked = await anonymous.send(new GetBucketPolicyStatusCommand({ Bucket: 'status' })).then(() => 'ok', (e: Error) => e.name)
    expect(asked).toBe('AccessDenied')
  })

  it('refuses SSE-S3 and SSE-KMS headers on GET and HEAD with 400 BadRequest', async () => {
    const root = s3Client(srv, ROOT.accessKey, ROOT.secretKey)
    await root.send(new PutObjectCommand({ Bucket: 'status', Key: 'plain', Body: 'x' }))
    for (const headers of [{ 'x-amz-server-side-encryption': 'AES256' }, { 'x-amz-server-side-encryption': 'aws:kms' },
      { 'x-amz-server-side-encryption-aws-kms-key-id': 'testkey-1' }]) {
      const client = s3Client(srv, ROOT.accessKey, ROOT.secretKey)
      client.middlewareStack.add((next) => (args) => {
        Object.assign((args.request as { headers: Record<string, string> }).headers, headers)
        return next(args)
      }, { step: 'build', name: 'sseHeaders' })
      const failed = (p: Promise<unknown>) => p.then(() => undefined, (e: { name: string; $metadata: { httpStatusCode?: number } }) => e)
      const get = await failed(client.send(new GetObjectCommand({ Bucket: 'status', Key: 'plain' })))
      expect([get?.name, get?.$metadata.httpStatusCode]).toEqual(['BadRequest', 400])
      const head = await failed(client.send(new HeadObjectCommand({ Bucket: 'status', Key: 'plain' })))
      expect(head?.$metadata.httpStatusCode).toBe(400)
    }
    expect(await (await root.send(new GetObjectCommand({ Bucket: 'status', Key: 'plain' }))).Body!.transformToString()).toBe('x')
  })
})
