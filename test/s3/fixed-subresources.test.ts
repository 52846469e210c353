/**
 * The bucket configurations keyhold-s3 does not keep (CORS, website, accelerate, request payment, logging,
 * replication, notification) are answered as MinIO answers a bucket without them, to callers MinIO would answer:
 * anonymous callers and users without the action get AccessDenied, never the document; a missing bucket is
 * NoSuchBucket; writes stay 501. With the AWS SDK, curl (exact bodies) and the access log.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import {
  CreateBucketCommand, DeleteBucketWebsiteCommand, GetBucketAccelerateConfigurationCommand, GetBucketCorsCommand,
  GetBucketLoggingCommand, GetBucketNotificationConfigurationCommand, GetBucketReplicationCommand,
  GetBucketRequestPaymentCommand, GetBucketWebsiteCommand, PutBucketCorsCommand, PutBucketPolicyCommand, type S3Client,
} from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminCall, ROOT, s3Client, startIamServer, type IamServer } from './iam/helpers.js'
import { ROOT_PASSWORD, ROOT_USER, startS3, type S3Fixture } from '../helpers/s3.js'

const run = promisify(execFile)
const NS = 'http://s3.amazonaws.com/doc/2006-03-01/'
const work = mkdtempSync(join(tmpdir(), 'keyhold-fixed-'))
let srv: IamServer
let caFile: string

/** Every read, as the SDK sends it, with the raw query it names. */
const READS = [
  { query: 'cors', send: (c: S3Client, Bucket: string) => c.send(new GetBucketCorsCommand({ Bucket })) },
  { query: 'website', send: (c: S3Client, Bucket: string) => c.send(new GetBucketWebsiteCommand({ Bucket })) },
  { query: 'accelerate', send: (c: S3Client, Bucket: string) => c.send(new GetBucketAccelerateConfigurationCommand({ Bucket })) },
  { query: 'requestPayment', send: (c: S3Client, Bucket: string) => c.send(new GetBucketRequestPaymentCommand({ Bucket })) },
  { query: 'logging', send: (c: S3Client, Bucket: string) => c.send(new GetBucketLoggingCommand({ Bucket })) },
  { query: 'replication', send: (c: S3Client, Bucket: string) => c.send(new GetBucketReplicationCommand({ Bucket })) },
  { query: 'notification', send: (c: S3Client, Bucket: string) => c.send(new GetBucketNotificationConfigurationCommand({ Bucket })) },
  { query: 'website (DELETE)', send: (c: S3Client, Bucket: string) => c.send(new DeleteBucketWebsiteCommand({ Bucket })) },
]

const outcome = (p: Promise<unknown>): Promise<string> =>
  p.then(() => 'ok', (e: { name: string; $metadata?: { httpStatusCode?: number } }) => `${e.$metadata?.httpStatusCode} ${e.name}`)

function anonymousClient(): S3Client {
  const c = s3Client(srv, 'unused', 'unused')
  c.middlewareStack.add((next) => (args) => {
    const h = (args.request as { headers: Record<string, string> }).headers
    for (const k of Object.keys(h)) if (/^(authorization|x-amz-date|x-amz-content-sha256|x-amz-security-token)$/i.test(k)) delete h[k]
    return next(args)
  }, { step: 'finalizeRequest', priority: 'low', name: 'unsign' })
  return c
}

beforeAll(async () => {
  srv = await startIamServer()
  caFile = join(work, 'ca.pem')
  writeFileSync(caFile, srv.ca)
  const root = s3Client(srv, ROOT.accessKey, ROOT.secretKey)
  await root.send(new CreateBucketCommand({ Bucket: 'site' }))
  // Public for reading objects and listing: not for reading the bucket's configuration.
  await root.send(new PutBucketPolicyCommand({
    Bucket: 'site', Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: ['*'] },
      Action: ['s3:GetObject', 's3:ListBucket'], Resource: ['arn:aws:s3:::site', 'arn:aws:s3:::site/*'] }] }),
  }))
  const policy = (name: string, Action: string[]) => adminCall(srv, ROOT, { method: 'PUT', path: '/add-canned-policy', query: [['name', name]],
    plain: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action, Resource: ['arn:aws:s3:::*'] }] }) })
  const user = async (name: string, pol: string) => {
    expect((await adminCall(srv, ROOT, { method: 'PUT', path: '/add-user', query: [['accessKey', name]], enc: { secretKey: `${name}-secret-123`, status: 'enabled' } })).status).toBe(200)
    expect((await adminCall(srv, ROOT, { method: 'PUT', path: '/set-user-or-group-policy', query: [['policyName', pol], ['userOrGroup', name], ['isGroup', 'false']] })).status).toBe(200)
  }
  expect((await policy('objects-only', ['s3:GetObject', 's3:PutObject', 's3:ListBucket', 's3:ListAllMyBuckets'])).status).toBe(200)
  expect((await policy('config-reader', ['s3:GetBucketPolicy', 's3:DeleteBucketPolicy', 's3:GetReplicationConfiguration', 's3:GetBucketNotification'])).status).toBe(200)
  await user('objectsonly', 'objects-only')
  await user('configreader', 'config-reader')
})
afterAll(async () => {
  await srv?.close()
  rmSync(work, { recursive: true, force: true })
})

describe('fixed bucket configurations: who may ask', () => {
  it('refuses anonymous callers, even on a bucket whose policy is public for objects', async () => {
    const anonymous = anonymousClient()
    for (const r of READS) expect([r.query, await outcome(r.send(anonymous, 'site'))]).toEqual([r.query, '403 AccessDenied'])
  })

  it('refuses a user whose policy grants object and listing actions only', async () => {
    const c = s3Client(srv, 'objectsonly', 'objectsonly-secret-123')
    for (const r of READS) expect([r.query, await outcome(r.send(c, 'site'))]).toEqual([r.query, '403 AccessDenied'])
  })

  it('answers a user granted MinIO\'s actions for them (s3:GetBucketPolicy, replication, notification)', async () => {
    const c = s3Client(srv, 'configreader', 'configreader-secret-123')
    expect(await Promise.all(READS.map((r) => outcome(r.send(c, 'site'))))).toEqual([
      '404 NoSuchCORSConfiguration', '404 NoSuchWebsiteConfiguration', 'ok', 'ok', 'ok',
      '404 ReplicationConfigurationNotFoundError', 'ok', 'ok',
    ])
  })
})

describe('fixed bucket configurations: the answers', () => {
  const root = (): S3Client => s3Client(srv, ROOT.accessKey, ROOT.secretKey)

  it('answers MinIO\'s documents and errors, parsed by the SDK', async () => {
    expect((await root().send(new GetBucketAccelerateConfigurationCommand({ Bucket: 'site' }))).Status).toBeUndefined()
    expect((await root().send(new GetBucketRequestPaymentCommand({ Bucket: 'site' }))).Payer).toBe('BucketOwner')
    expect((await root().send(new GetBucketLoggingCommand({ Bucket: 'site' }))).LoggingEnabled).toBeUndefined()
    const notification = await root().send(new GetBucketNotificationConfigurationCommand({ Bucket: 'site' }))
    expect([notification.QueueConfigurations, notification.TopicConfigurations, notification.LambdaFunctionConfigurations]).toEqual([undefined, undefined, undefined])
    const cors = await root().send(new GetBucketCorsCommand({ Bucket: 'site' })).catch((e: Error) => e)
    expect((cors as Error).message).toBe('The CORS configuration does not exist')
    const website = await root().send(new GetBucketWebsiteCommand({ Bucket: 'site' })).catch((e: Error) => e)
    expect((website as Error).message).toBe('The specified bucket does not have a website configuration')
    const replication = await root().send(new GetBucketReplicationCommand({ Bucket: 'site' })).catch((e: Error) => e)
    expect((replication as Error).message).toBe('The replication configuration was not found')
    expect((await root().send(new DeleteBucketWebsiteCommand({ Bucket: 'site' }))).$metadata.httpStatusCode).toBe(204)
  })

  it('answers exactly these bodies (curl)', async () => {
    // `?name=`: curl 7.x signs a bare `?name` with a canonical query that is not SigV4's.
    const get = async (query: string, method = 'GET') => {
      const out = await run('curl', ['-sS', '--cacert', caFile, '--user', `${ROOT.accessKey}:${ROOT.secretKey}`, '--aws-sigv4', 'aws:amz:us-east-1:s3',
        '-X', method, '-w', '\n%{http_code}', `${srv.url}/site?${query}=`], { timeout: 30_000 })
      const lines = out.stdout.split('\n')
      return { status: lines.pop(), body: lines.join('\n') }
    }
    const doc = (root: string, inner = '') => `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${NS}">${inner}</${root}>`
    expect(await get('accelerate')).toEqual({ status: '200', body: doc('AccelerateConfiguration') })
    expect(await get('requestPayment')).toEqual({ status: '200', body: doc('RequestPaymentConfiguration', '<Payer>BucketOwner</Payer>') })
    expect(await get('logging')).toEqual({ status: '200', body: doc('BucketLoggingStatus') })
    expect(await get('notification')).toEqual({ status: '200', body: doc('NotificationConfiguration') })
    expect(await get('website', 'DELETE')).toEqual({ status: '204', body: '' })
  })

  it('answers NoSuchBucket for a missing bucket, and 501 to writes and to objects', async () => {
    for (const r of READS) expect([r.query, await outcome(r.send(root(), 'no-such-bucket'))]).toEqual([r.query, '404 NoSuchBucket'])
    const put = await outcome(root().send(new PutBucketCorsCommand({ Bucket: 'site', CORSConfiguration: { CORSRules: [{ AllowedMethods: ['GET'], AllowedOrigins: ['*'] }] } })))
    expect(put).toBe('501 NotImplemented')
    const onObject = await run('curl', ['-sS', '--cacert', caFile, '--user', `${ROOT.accessKey}:${ROOT.secretKey}`, '--aws-sigv4', 'aws:amz:us-east-1:s3',
      '-w', '\n%{http_code}', `${srv.url}/site/key?cors=`], { timeout: 30_000 })
    expect(onObject.stdout.split('\n').pop()).toBe('501')
  })
})

describe('fixed bucket configurations: the access log', () => {
  let fx: S3Fixture
  const lines: string[] = []
  beforeAll(async () => {
    fx = await startS3({ accessLog: (l) => lines.push(l) })
    await fx.client().send(new CreateBucketCommand({ Bucket: 'logged' }))
  })
  afterAll(async () => fx?.close())

  it('names each API', async () => {
    const c = fx.client({ credentials: { accessKeyId: ROOT_USER, secretAccessKey: ROOT_PASSWORD } })
    for (const r of READS) await outcome(r.send(c, 'logged'))
    const apis = lines.map((l) => JSON.parse(l) as { api: string; bucket?: string }).filter((e) => e.bucket === 'logged').map((e) => e.api)
    expect(apis.slice(1)).toEqual([
      'GetBucketCors', 'GetBucketWebsite', 'GetBucketAccelerateConfiguration', 'GetBucketRequestPayment', 'GetBucketLogging',
      'GetBucketReplication', 'GetBucketNotificationConfiguration', 'DeleteBucketWebsite',
    ])
  })
})
