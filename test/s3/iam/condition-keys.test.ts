/**
 * Condition keys MinIO does not know are refused when a policy is stored (canned policy, bucket policy, service
 * account session policy), as MinIO refuses them: such a key never has a value, so a Deny conditioned on a
 * misspelt key would silently never apply. Documents stored before the check still load.
 */
import { CreateBucketCommand, PutBucketPolicyCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MalformedPolicyError, parsePolicy } from '../../../src/s3/iam/policy/index.js'
import { adminCall, ROOT, s3Client, startIamServer, type IamServer } from './helpers.js'

const denyUnless = (key: string) => JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: ['s3:*'], Resource: ['arn:aws:s3:::*'] },
    { Effect: 'Deny', Action: ['s3:*'], Resource: ['arn:aws:s3:::*'], Condition: { NotIpAddress: { [key]: '10.9.9.9/32' } } },
  ],
})

describe('condition keys, parsed', () => {
  it('a document being stored may name only known keys, in any case, and object tags after a slash', () => {
    const strict = { knownConditionKeysOnly: true }
    for (const key of ['aws:SourceIpAddress', 'aws:sourceip2', 's3:x-amz-acl', 'sourceip', 's3:ExistingObjectTag/', 'aws:SourceIp/x']) {
      expect(() => parsePolicy(denyUnless(key), strict), key).toThrow(MalformedPolicyError)
      expect(() => parsePolicy(denyUnless(key), strict), key).toThrow(`Statement[1]: invalid condition key '${key}'`)
    }
    for (const key of ['aws:SourceIp', 'AWS:SOURCEIP', 's3:ExistingObjectTag/team', 's3:RequestObjectTag/a/b', 'jwt:sub', 's3:versionid']) {
      expect(() => parsePolicy(denyUnless(key), strict), key).not.toThrow()
    }
  })

  it('a document stored before the check (read back) still loads', () => {
    expect(parsePolicy(denyUnless('aws:SourceIpAddress')).statements[1]!.conditions[0]!.key).toBe('aws:SourceIpAddress')
  })
})

describe('condition keys, stored through the APIs', () => {
  let srv: IamServer
  beforeAll(async () => {
    srv = await startIamServer({ responseAlgorithm: 2 })
  })
  afterAll(async () => srv?.close())

  const errOf = (a: { status: number; json?: unknown }) => ({ status: a.status, ...(a.json as { Code: string; Message: string }) })

  it('add-canned-policy refuses an unknown key with 400 MalformedPolicy and stores nothing', async () => {
    const put = await adminCall(srv, ROOT, { method: 'PUT', path: '/add-canned-policy', query: [['name', 'typo']], plain: denyUnless('aws:SourceIpAddress') })
    expect(errOf(put)).toMatchObject({ status: 400, Code: 'MalformedPolicy', Message: "Statement[1]: invalid condition key 'aws:SourceIpAddress'" })
    expect(srv.hooks.iam.policy('typo')).toBeUndefined()
    const good = await adminCall(srv, ROOT, { method: 'PUT', path: '/add-canned-policy', query: [['name', 'fine']], plain: denyUnless('aws:SourceIp') })
    expect(good.status).toBe(200)
  })

  it('PutBucketPolicy refuses an unknown key with 400 MalformedPolicy', async () => {
    const root = s3Client(srv, ROOT.accessKey, ROOT.secretKey)
    await root.send(new CreateBucketCommand({ Bucket: 'keys' }))
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Principal: '*', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::keys/*'], Condition: { Bool: { 'aws:SecureTransprot': 'false' } } }],
    })
    const err = await root.send(new PutBucketPolicyCommand({ Bucket: 'keys', Policy: policy })).then(() => undefined, (e: unknown) => e as { name: string; message: string; $metadata: { httpStatusCode: number } })
    expect([err?.name, err?.$metadata.httpStatusCode, err?.message]).toEqual(['MalformedPolicy', 400, "Statement[0]: invalid condition key 'aws:SecureTransprot'"])
    root.destroy()
  })

  it('a service account session policy with an unknown key is refused and no account is made', async () => {
    const made = await adminCall(srv, ROOT, { method: 'PUT', path: '/add-service-account', enc: { accessKey: 'typo-sa', secretKey: 'typo-sa-secret', policy: JSON.parse(denyUnless('aws:SourceIpAddress')) } })
    expect(errOf(made)).toMatchObject({ status: 400, Code: 'MalformedPolicy', Message: "Statement[1]: invalid condition key 'aws:SourceIpAddress'" })
    const info = await adminCall(srv, ROOT, { method: 'GET', path: '/info-service-account', query: [['accessKey', 'typo-sa']] })
    expect(info.status).toBe(404)
  })
})
