/**
 * Lifecycle configuration under IAM: setting and removing rules needs s3:PutLifecycleConfiguration, reading
 * them s3:GetLifecycleConfiguration (MinIO's actions); a user with every other bucket permission cannot set
 * rules that would delete others' objects, and a refused PUT stores nothing.
 */
import {
  CreateBucketCommand, DeleteBucketLifecycleCommand, GetBucketLifecycleConfigurationCommand, PutBucketLifecycleConfigurationCommand,
  type LifecycleRule,
} from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminCall, ROOT, s3Client, startIamServer, type IamServer } from './helpers.js'

let srv: IamServer
const RULES: LifecycleRule[] = [{ ID: 'wipe', Status: 'Enabled', Filter: {}, Expiration: { Days: 1 } }]

async function addUser(name: string, actions: string[]): Promise<void> {
  const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: ['arn:aws:s3:::rules', 'arn:aws:s3:::rules/*'] }] }
  expect((await adminCall(srv, ROOT, { method: 'PUT', path: '/add-canned-policy', query: [['name', `${name}-policy`]], plain: JSON.stringify(policy) })).status).toBe(200)
  await adminCall(srv, ROOT, { method: 'PUT', path: '/add-user', query: [['accessKey', name]], enc: { secretKey: `${name}-secret-1`, status: 'enabled', policy: `${name}-policy` } })
}

beforeAll(async () => {
  srv = await startIamServer({ responseAlgorithm: 2 })
  await s3Client(srv, ROOT.accessKey, ROOT.secretKey).send(new CreateBucketCommand({ Bucket: 'rules' }))
  // Everything on the bucket except lifecycle.
  await addUser('writer', ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:ListBucket', 's3:PutBucketPolicy', 's3:PutBucketTagging', 's3:PutBucketVersioning'])
  await addUser('reader', ['s3:GetLifecycleConfiguration'])
  await addUser('admin', ['s3:PutLifecycleConfiguration', 's3:GetLifecycleConfiguration'])
})
afterAll(async () => srv?.close())

const outcome = (p: Promise<unknown>): Promise<string> => p.then(() => 'ok', (err: Error) => err.name)
const putRules = (user: string) =>
  s3Client(srv, user, `${user}-secret-1`).send(new PutBucketLifecycleConfigurationCommand({ Bucket: 'rules', LifecycleConfiguration: { Rules: RULES } }))

describe('lifecycle under IAM', () => {
  it('needs s3:PutLifecycleConfiguration to set or remove rules and s3:GetLifecycleConfiguration to read them', async () => {
    expect(await outcome(putRules('writer'))).toBe('AccessDenied')
    expect(await outcome(putRules('reader'))).toBe('AccessDenied')
    const root = s3Client(srv, ROOT.accessKey, ROOT.secretKey)
    // The refused PUTs stored nothing.
    expect(await outcome(root.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'rules' })))).toBe('NoSuchLifecycleConfiguration')
    expect(await outcome(putRules('admin'))).toBe('ok')
    const reader = s3Client(srv, 'reader', 'reader-secret-1')
    expect((await reader.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'rules' }))).Rules?.map((r) => r.ID)).toEqual(['wipe'])
    const writer = s3Client(srv, 'writer', 'writer-secret-1')
    expect(await outcome(writer.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'rules' })))).toBe('AccessDenied')
    expect(await outcome(writer.send(new DeleteBucketLifecycleCommand({ Bucket: 'rules' })))).toBe('AccessDenied')
    expect(await outcome(reader.send(new DeleteBucketLifecycleCommand({ Bucket: 'rules' })))).toBe('AccessDenied')
    const anonymous = s3Client(srv, 'unused', 'unused')
    anonymous.middlewareStack.add((next) => (args) => {
      const h = (args.request as { headers: Record<string, string> }).headers
      for (const k of Object.keys(h)) if (/^(authorization|x-amz-date|x-amz-content-sha256|x-amz-security-token)$/i.test(k)) delete h[k]
      return next(args)
    }, { step: 'finalizeRequest', priority: 'low', name: 'unsign' })
    expect(await outcome(anonymous.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'rules' })))).toBe('AccessDenied')
    expect(await outcome(s3Client(srv, 'admin', 'admin-secret-1').send(new DeleteBucketLifecycleCommand({ Bucket: 'rules' })))).toBe('ok')
    expect(await outcome(root.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'rules' })))).toBe('NoSuchLifecycleConfiguration')
  })
})
