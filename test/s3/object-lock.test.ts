/**
 * Object lock in keyhold-s3 with real clients (AWS SDK v3, boto3, curl's own SigV4): lock buckets and their
 * default retention, per-version retention and legal hold, what a lock refuses (deletes, shortening, mode
 * changes; COMPLIANCE even to root), and a precise 4xx for every malformed date, mode, period or document.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import {
  CompleteMultipartUploadCommand, CopyObjectCommand, CreateBucketCommand, CreateMultipartUploadCommand,
  DeleteObjectCommand, DeleteObjectsCommand, GetBucketVersioningCommand, GetObjectLegalHoldCommand,
  GetObjectLockConfigurationCommand, GetObjectRetentionCommand, HeadObjectCommand, PutBucketVersioningCommand,
  PutObjectCommand, PutObjectLegalHoldCommand, PutObjectLockConfigurationCommand, PutObjectRetentionCommand,
  UploadPartCommand, type S3Client,
} from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT_PASSWORD, ROOT_USER, s3error, startS3, useS3 } from '../helpers/s3.js'

const run = promisify(execFile)
const fx = useS3()
let s3: S3Client
const dir = mkdtempSync(join(tmpdir(), 'keyhold-object-lock-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const DAY = 86_400_000
const future = (days: number): Date => new Date(Math.floor((Date.now() + days * DAY) / 1000) * 1000)

beforeAll(async () => {
  s3 = fx.client()
  await s3.send(new CreateBucketCommand({ Bucket: 'locked', ObjectLockEnabledForBucket: true }))
  await s3.send(new CreateBucketCommand({ Bucket: 'plain' }))
})

interface Answer { status: number; body: string }

/** curl signs with its own SigV4, so malformed documents and headers reach the server as written. */
async function curl(method: string, path: string, opts: { body?: string; headers?: string[]; md5?: boolean } = {}): Promise<Answer> {
  const args = ['-s', '--cacert', fx.pki.ca.certFile, '--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', `${ROOT_USER}:${ROOT_PASSWORD}`,
    // No Expect: 100-continue: the body goes at once, so an early refusal never races its upload.
    '-X', method, '-w', '\n%{http_code}', '-H', 'x-amz-content-sha256: UNSIGNED-PAYLOAD', '-H', 'Expect:']
  for (const h of opts.headers ?? []) args.push('-H', h)
  // Lock documents travel with their MD5, as every SDK sends them (MinIO refuses them without a digest).
  if (opts.body !== undefined && opts.md5 !== false) args.push('-H', `Content-MD5: ${createHash('md5').update(opts.body).digest('base64')}`)
  if (opts.body !== undefined) {
    const file = join(dir, `body-${Math.random().toString(36).slice(2)}`)
    writeFileSync(file, opts.body)
    args.push('--data-binary', `@${file}`)
  }
  const { stdout } = await run('curl', [...args, `${fx.server.url}${path}`], { timeout: 30_000 })
  const at = stdout.lastIndexOf('\n')
  return { status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) }
}

function expectError(a: Answer, status: number, code: string, message?: string): void {
  expect(a.status, a.body).toBe(status)
  expect(a.body).toContain(`<Code>${code}</Code>`)
  if (message !== undefined) expect(a.body).toContain(`<Message>${message}</Message>`)
}

const retentionXml = (mode: string, date: string): string =>
  `<Retention xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Mode>${mode}</Mode><RetainUntilDate>${date}</RetainUntilDate></Retention>`
const lockXml = (rule: string): string =>
  `<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>${rule}</DefaultRetention></Rule></ObjectLockConfiguration>`

describe('lock buckets and their configuration', () => {
  it('a lock bucket is versioned, answers its configuration, and keeps versioning from being suspended', async () => {
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: 'locked' }))).Status).toBe('Enabled')
    const conf = await s3.send(new GetObjectLockConfigurationCommand({ Bucket: 'locked' }))
    expect(conf.ObjectLockConfiguration).toEqual({ ObjectLockEnabled: 'Enabled' })
    const e = await s3error(s3.send(new PutBucketVersioningCommand({ Bucket: 'locked', VersioningConfiguration: { Status: 'Suspended' } })))
    expect([e.$metadata.httpStatusCode, e.name]).toEqual([409, 'InvalidBucketState'])
    const none = await s3error(s3.send(new GetObjectLockConfigurationCommand({ Bucket: 'plain' })))
    expect([none.$metadata.httpStatusCode, none.name]).toEqual([404, 'ObjectLockConfigurationNotFoundError'])
  })

  it('lock is enabled later only on a bucket whose versioning is enabled', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'later' }))
    const conf = { ObjectLockEnabled: 'Enabled' as const, Rule: { DefaultRetention: { Mode: 'GOVERNANCE' as const, Days: 1 } } }
    const e = await s3error(s3.send(new PutObjectLockConfigurationCommand({ Bucket: 'later', ObjectLockConfiguration: conf })))
    expect([e.$metadata.httpStatusCode, e.name]).toEqual([409, 'InvalidBucketState'])
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'later', VersioningConfiguration: { Status: 'Enabled' } }))
    await s3.send(new PutObjectLockConfigurationCommand({ Bucket: 'later', ObjectLockConfiguration: conf }))
    expect((await s3.send(new GetObjectLockConfigurationCommand({ Bucket: 'later' }))).ObjectLockConfiguration).toEqual(conf)
  })

  it('refuses malformed configurations with AWS\'s codes', async () => {
    expectError(await curl('PUT', '/locked?object-lock=', { body: lockXml('<Mode>GOVERNANCE</Mode><Days>0</Days>') }), 400, 'InvalidRetentionPeriod')
    expectError(await curl('PUT', '/locked?object-lock=', { body: lockXml('<Mode>GOVERNANCE</Mode><Years>-1</Years>') }), 400, 'InvalidRetentionPeriod')
    expectError(await curl('PUT', '/locked?object-lock=', { body: lockXml('<Mode>GOVERNANCE</Mode><Years>101</Years>') }), 400, 'InvalidRetentionPeriod')
    expectError(await curl('PUT', '/locked?object-lock=', { body: lockXml('<Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years>') }), 400, 'MalformedXML')
    expectError(await curl('PUT', '/locked?object-lock=', { body: lockXml('<Mode>GOVERNANCE</Mode>') }), 400, 'MalformedXML')
    expectError(await curl('PUT', '/locked?object-lock=', { body: lockXml('<Mode>governance</Mode><Days>1</Days>') }), 400, 'MalformedXML')
    expectError(await curl('PUT', '/locked?object-lock=', { body: lockXml('<Mode>GOVERNANCE</Mode><Days>1.5</Days>') }), 400, 'MalformedXML')
    expectError(await curl('PUT', '/locked?object-lock=', { body: '<ObjectLockConfiguration><ObjectLockEnabled>Disabled</ObjectLockEnabled></ObjectLockConfiguration>' }), 400, 'MalformedXML')
    // MinIO reads 4 KiB of a lock document and no more.
    expectError(await curl('PUT', '/locked?object-lock=', { body: lockXml(`<Mode>GOVERNANCE</Mode><Days>1</Days>${' '.repeat(5000)}`) }), 400, 'MalformedXML')
    expectError(await curl('PUT', '/lockbad', { headers: ['x-amz-bucket-object-lock-enabled: maybe'] }), 400, 'InvalidRequest')
    expectError(await curl('DELETE', '/locked?object-lock='), 405, 'MethodNotAllowed')
    // Nothing of the refused documents was kept.
    expect((await s3.send(new GetObjectLockConfigurationCommand({ Bucket: 'locked' }))).ObjectLockConfiguration).toEqual({ ObjectLockEnabled: 'Enabled' })
  })
})

describe('retention and legal hold', () => {
  it('default retention lands on new versions; GOVERNANCE yields only to the bypass', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'defaults', ObjectLockEnabledForBucket: true }))
    await s3.send(new PutObjectLockConfigurationCommand({ Bucket: 'defaults', ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 2 } } } }))
    const before = Date.now()
    const put = await s3.send(new PutObjectCommand({ Bucket: 'defaults', Key: 'k', Body: 'v1' }))
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'defaults', Key: 'k' }))
    expect(head.ObjectLockMode).toBe('GOVERNANCE')
    expect(head.ObjectLockRetainUntilDate!.getTime()).toBeGreaterThanOrEqual(before + 2 * DAY - 1000)
    expect(head.ObjectLockRetainUntilDate!.getTime()).toBeLessThanOrEqual(Date.now() + 2 * DAY)
    const refused = await s3error(s3.send(new DeleteObjectCommand({ Bucket: 'defaults', Key: 'k', VersionId: put.VersionId })))
    expect([refused.$metadata.httpStatusCode, refused.name]).toEqual([403, 'AccessDenied'])
    // A delete without a version id only lays a delete marker, as S3 allows.
    expect((await s3.send(new DeleteObjectCommand({ Bucket: 'defaults', Key: 'k' }))).DeleteMarker).toBe(true)
    await s3.send(new DeleteObjectCommand({ Bucket: 'defaults', Key: 'k', VersionId: put.VersionId, BypassGovernanceRetention: true }))
    const gone = await s3error(s3.send(new HeadObjectCommand({ Bucket: 'defaults', Key: 'k', VersionId: put.VersionId })))
    expect(gone.$metadata.httpStatusCode).toBe(404)
  })

  it('COMPLIANCE cannot be shortened, changed or removed, nor its version deleted, even by root with the bypass', async () => {
    const until = future(30)
    const put = await s3.send(new PutObjectCommand({ Bucket: 'locked', Key: 'c', Body: 'keep', ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: until }))
    const id = put.VersionId!
    const denied = async (p: Promise<unknown>): Promise<void> => {
      const e = await s3error(p)
      expect([e.$metadata.httpStatusCode, e.name]).toEqual([403, 'AccessDenied'])
    }
    await denied(s3.send(new PutObjectRetentionCommand({ Bucket: 'locked', Key: 'c', VersionId: id, BypassGovernanceRetention: true, Retention: { Mode: 'COMPLIANCE', RetainUntilDate: future(29) } })))
    await denied(s3.send(new PutObjectRetentionCommand({ Bucket: 'locked', Key: 'c', VersionId: id, BypassGovernanceRetention: true, Retention: { Mode: 'GOVERNANCE', RetainUntilDate: future(40) } })))
    // An empty Retention would remove it.
    expectError(await curl('PUT', `/locked/c?retention=&versionId=${id}`, { body: '<Retention/>', headers: ['x-amz-bypass-governance-retention: true'] }), 403, 'AccessDenied')
    await denied(s3.send(new DeleteObjectCommand({ Bucket: 'locked', Key: 'c', VersionId: id, BypassGovernanceRetention: true })))
    const multi = await s3.send(new DeleteObjectsCommand({ Bucket: 'locked', BypassGovernanceRetention: true, Delete: { Objects: [{ Key: 'c', VersionId: id }] } }))
    expect(multi.Errors).toEqual([expect.objectContaining({ Key: 'c', VersionId: id, Code: 'AccessDenied' })])
    // Extending is allowed.
    const later = future(31)
    await s3.send(new PutObjectRetentionCommand({ Bucket: 'locked', Key: 'c', VersionId: id, Retention: { Mode: 'COMPLIANCE', RetainUntilDate: later } }))
    const got = await s3.send(new GetObjectRetentionCommand({ Bucket: 'locked', Key: 'c', VersionId: id }))
    expect(got.Retention?.Mode).toBe('COMPLIANCE')
    expect(got.Retention?.RetainUntilDate?.getTime()).toBe(later.getTime())
    expect((await s3.send(new HeadObjectCommand({ Bucket: 'locked', Key: 'c', VersionId: id }))).ContentLength).toBe(4)
  })

  it('a legal hold keeps a version whatever its retention; lifting it lets the version go', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: 'locked', Key: 'h', Body: 'held', ObjectLockLegalHoldStatus: 'ON' }))
    expect((await s3.send(new GetObjectLegalHoldCommand({ Bucket: 'locked', Key: 'h' }))).LegalHold?.Status).toBe('ON')
    expect((await s3.send(new HeadObjectCommand({ Bucket: 'locked', Key: 'h' }))).ObjectLockLegalHoldStatus).toBe('ON')
    const e = await s3error(s3.send(new DeleteObjectCommand({ Bucket: 'locked', Key: 'h', VersionId: put.VersionId, BypassGovernanceRetention: true })))
    expect(e.name).toBe('AccessDenied')
    const none = await s3error(s3.send(new GetObjectRetentionCommand({ Bucket: 'locked', Key: 'h' })))
    expect([none.$metadata.httpStatusCode, none.name]).toEqual([400, 'NoSuchObjectLockConfiguration'])
    await s3.send(new PutObjectLegalHoldCommand({ Bucket: 'locked', Key: 'h', LegalHold: { Status: 'OFF' } }))
    await s3.send(new DeleteObjectCommand({ Bucket: 'locked', Key: 'h', VersionId: put.VersionId }))
  })

  it('locks belong to one version: a copy or a newer version does not inherit them; multipart create sets them', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: 'locked', Key: 'src', Body: 'x', ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: future(3) }))
    const copy = await s3.send(new CopyObjectCommand({ Bucket: 'locked', Key: 'dst', CopySource: `locked/src?versionId=${put.VersionId}` }))
    expect((await s3.send(new HeadObjectCommand({ Bucket: 'locked', Key: 'dst' }))).ObjectLockMode).toBeUndefined()
    await s3.send(new DeleteObjectCommand({ Bucket: 'locked', Key: 'dst', VersionId: copy.VersionId }))
    const next = await s3.send(new PutObjectCommand({ Bucket: 'locked', Key: 'src', Body: 'y' }))
    await s3.send(new DeleteObjectCommand({ Bucket: 'locked', Key: 'src', VersionId: next.VersionId }))
    const mp = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'locked', Key: 'mp', ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: future(3) }))
    const part = await s3.send(new UploadPartCommand({ Bucket: 'locked', Key: 'mp', UploadId: mp.UploadId, PartNumber: 1, Body: 'abc' }))
    const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'locked', Key: 'mp', UploadId: mp.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }))
    const e = await s3error(s3.send(new DeleteObjectCommand({ Bucket: 'locked', Key: 'mp', VersionId: done.VersionId })))
    expect(e.name).toBe('AccessDenied')
  })

  it('answers every malformed date, mode and status with a precise 4xx, and nothing changes', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: 'locked', Key: 'm', Body: 'x' }))
    const path = `/locked/m?retention=&versionId=${put.VersionId}`
    const schema = 'The XML you provided was not well-formed or did not validate against our published schema.'
    expectError(await curl('PUT', path, { body: retentionXml('governance', '2099-01-01T00:00:00Z') }), 400, 'MalformedXML', 'unknown WORM mode directive')
    expectError(await curl('PUT', path, { body: retentionXml('GOVERNANCE', '2099-13-01T00:00:00Z') }), 400, 'MalformedXML', 'date must be provided in ISO 8601 format')
    expectError(await curl('PUT', path, { body: retentionXml('GOVERNANCE', '2099-02-30T00:00:00Z') }), 400, 'MalformedXML', 'date must be provided in ISO 8601 format')
    expectError(await curl('PUT', path, { body: retentionXml('GOVERNANCE', '1 Jan 2099') }), 400, 'MalformedXML', 'date must be provided in ISO 8601 format')
    expectError(await curl('PUT', path, { body: retentionXml('GOVERNANCE', '2001-01-01T00:00:00Z') }), 400, 'MalformedXML', 'the retain until date must be in the future')
    expectError(await curl('PUT', path, { body: '<Retention><Mode>GOVERNANCE</Mode></Retention>' }), 400, 'MalformedXML', schema)
    expectError(await curl('PUT', path, { body: '<Retention><Mode>GOVERNANCE' }), 400, 'MalformedXML', schema)
    expectError(await curl('PUT', path.replace('retention', 'legal-hold'), { body: '<LegalHold><Status>on</Status></LegalHold>' }), 400, 'MalformedXML')
    expectError(await curl('PUT', '/locked/h2', { body: 'x', headers: ['x-amz-object-lock-mode: FOREVER', 'x-amz-object-lock-retain-until-date: 2099-01-01T00:00:00Z'] }), 400, 'InvalidRequest', 'unknown wormMode directive')
    expectError(await curl('PUT', '/locked/h2', { body: 'x', headers: ['x-amz-object-lock-mode: GOVERNANCE', 'x-amz-object-lock-retain-until-date: tomorrow'] }), 400, 'InvalidRequest', 'Date must be provided in ISO 8601 format')
    expectError(await curl('PUT', '/locked/h2', { body: 'x', headers: ['x-amz-object-lock-mode: GOVERNANCE', 'x-amz-object-lock-retain-until-date: 2001-01-01T00:00:00Z'] }), 400, 'InvalidRequest', 'the retain until date must be in the future')
    expectError(await curl('PUT', '/locked/h2', { body: 'x', headers: ['x-amz-object-lock-mode: GOVERNANCE'] }), 400, 'InvalidRequest', 'x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied')
    expectError(await curl('PUT', '/locked/h2', { body: 'x', headers: ['x-amz-object-lock-legal-hold: maybe'] }), 400, 'InvalidRequest', 'unknown wormMode directive')
    expectError(await curl('PUT', '/plain/h2', { body: 'x', headers: ['x-amz-object-lock-legal-hold: ON'] }), 400, 'InvalidRequest', 'Bucket is missing ObjectLockConfiguration')
    expectError(await curl('PUT', '/plain/h2?retention=', { body: retentionXml('GOVERNANCE', '2099-01-01T00:00:00Z') }), 400, 'InvalidRequest', 'Bucket is missing ObjectLockConfiguration')
    expectError(await curl('GET', '/locked/m?retention=&versionId=nonsense'), 400, 'InvalidArgument')
    expectError(await curl('PUT', '/locked/h2?legal-hold=', { body: '' }), 400, 'MalformedXML')
    expectError(await curl('PUT', path, { body: retentionXml('GOVERNANCE', '2099-01-01T00:00:00Z'), md5: false }), 400, 'MissingContentMD5')
    expectError(await curl('PUT', path, { body: retentionXml('GOVERNANCE', '2099-01-01T00:00:00Z'), headers: ['Content-MD5: AAAAAAAAAAAAAAAAAAAAAA=='], md5: false }), 400, 'BadDigest')
    // None of the refused writes left an object or a lock behind.
    expectError(await curl('GET', '/locked/h2'), 404, 'NoSuchKey')
    expectError(await curl('GET', path), 400, 'NoSuchObjectLockConfiguration')
    // An offset date is read as the instant it names.
    await curl('PUT', path, { body: retentionXml('GOVERNANCE', '2099-01-01T02:00:00+02:00') })
    const got = await s3.send(new GetObjectRetentionCommand({ Bucket: 'locked', Key: 'm', VersionId: put.VersionId }))
    expect(got.Retention?.RetainUntilDate?.toISOString()).toBe('2099-01-01T00:00:00.000Z')
  })
})

describe('durability', () => {
  it('a lock bucket, its default and every version\'s lock survive a restart', async () => {
    const data = mkdtempSync(join(tmpdir(), 'keyhold-object-lock-data-'))
    try {
      let srv = await startS3({ dataDir: data })
      let c = srv.client()
      await c.send(new CreateBucketCommand({ Bucket: 'kept', ObjectLockEnabledForBucket: true }))
      await c.send(new PutObjectLockConfigurationCommand({ Bucket: 'kept', ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Years: 1 } } } }))
      const v = await c.send(new PutObjectCommand({ Bucket: 'kept', Key: 'k', Body: 'x', ObjectLockLegalHoldStatus: 'ON' }))
      await c.send(new PutObjectRetentionCommand({ Bucket: 'kept', Key: 'k', Retention: { Mode: 'GOVERNANCE', RetainUntilDate: future(2) } }))
      await srv.close()
      srv = await startS3({ dataDir: data })
      c = srv.client()
      try {
        const conf = await c.send(new GetObjectLockConfigurationCommand({ Bucket: 'kept' }))
        expect(conf.ObjectLockConfiguration?.Rule?.DefaultRetention).toEqual({ Mode: 'COMPLIANCE', Years: 1 })
        const head = await c.send(new HeadObjectCommand({ Bucket: 'kept', Key: 'k' }))
        expect([head.ObjectLockMode, head.ObjectLockLegalHoldStatus]).toEqual(['GOVERNANCE', 'ON'])
        const e = await s3error(c.send(new DeleteObjectCommand({ Bucket: 'kept', Key: 'k', VersionId: v.VersionId, BypassGovernanceRetention: true })))
        expect(e.name).toBe('AccessDenied')
        const s = await s3error(c.send(new PutBucketVersioningCommand({ Bucket: 'kept', VersioningConfiguration: { Status: 'Suspended' } })))
        expect(s.name).toBe('InvalidBucketState')
      } finally {
        await srv.close()
      }
    } finally {
      rmSync(data, { recursive: true, force: true })
    }
  })
})

describe('boto3', () => {
  it('sets, reads and enforces locks as s3-tests does', async () => {
    const script = `
import boto3, sys, datetime
from botocore.config import Config
from botocore.exceptions import ClientError
s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', config=Config(signature_version='s3v4', retries={'max_attempts': 1}))
s3.create_bucket(Bucket='boto-lock', ObjectLockEnabledForBucket=True)
r1 = s3.put_object(Bucket='boto-lock', Key='a', Body=b'a')
r2 = s3.put_object(Bucket='boto-lock', Key='b', Body=b'b')
until = datetime.datetime(2099, 1, 1, tzinfo=datetime.timezone.utc)
s3.put_object_retention(Bucket='boto-lock', Key='a', Retention={'Mode': 'GOVERNANCE', 'RetainUntilDate': until})
assert s3.get_object_retention(Bucket='boto-lock', Key='a')['Retention'] == {'Mode': 'GOVERNANCE', 'RetainUntilDate': until}
h = s3.head_object(Bucket='boto-lock', Key='a')
assert h['ObjectLockMode'] == 'GOVERNANCE' and h['ObjectLockRetainUntilDate'] == until, h
d = s3.delete_objects(Bucket='boto-lock', Delete={'Objects': [{'Key': 'a', 'VersionId': r1['VersionId']}, {'Key': 'b', 'VersionId': r2['VersionId']}]})
assert [(e['Key'], e['Code']) for e in d['Errors']] == [('a', 'AccessDenied')], d
assert [x['Key'] for x in d['Deleted']] == ['b'], d
try:
    s3.put_object_retention(Bucket='boto-lock', Key='a', Retention={'Mode': 'GOVERNANCE', 'RetainUntilDate': datetime.datetime(2098, 1, 1, tzinfo=datetime.timezone.utc)})
    raise SystemExit('shortened without bypass')
except ClientError as e:
    assert e.response['Error']['Code'] == 'AccessDenied', e.response
s3.put_object_retention(Bucket='boto-lock', Key='a', BypassGovernanceRetention=True, Retention={'Mode': 'GOVERNANCE', 'RetainUntilDate': datetime.datetime(2098, 1, 1, tzinfo=datetime.timezone.utc)})
d = s3.delete_objects(Bucket='boto-lock', BypassGovernanceRetention=True, Delete={'Objects': [{'Key': 'a', 'VersionId': r1['VersionId']}]})
assert 'Errors' not in d and d['Deleted'][0]['VersionId'] == r1['VersionId'], d
print('ok')
`
    const out = await run('python3', ['-c', script, fx.server.url], { env: fx.env(), timeout: 60_000 })
    expect(out.stdout.trim()).toBe('ok')
  }, 90_000)
})
