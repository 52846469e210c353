import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { Agent, request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import {
  CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, ListObjectVersionsCommand, PutObjectCommand, S3Client,
} from '@aws-sdk/client-s3'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rootOnlyAuthorizer } from '../../../src/s3/defaults.js'
import { setupEncryption, type EncryptionSetup } from '../../../src/s3/kms/setup.js'
import { createS3Server, type S3Server } from '../../../src/s3/server.js'
import { s3error } from '../../helpers/s3.js'
import { testPki, type TestPki } from '../../helpers/pki.js'
import { startKeyhold, type Keyhold } from './keyhold.js'
import { ROOT, kesSettings } from './s3-helper.js'
import { META } from '../../../src/s3/sse/metadata.js'
import { recordLog } from '../../helpers/message-log.js'

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex')
const q = (s: string) => `"${s}"`

let kh: Keyhold
let pki: TestPki
const dataDir = mkdtempSync(join(tmpdir(), 'keyhold-s3-kms-outage-'))
/** keyhold-s3's real log in memory; `logged` are its messages. */
const recorded = recordLog()
const logged = recorded.messages
let sse: EncryptionSetup
let server: S3Server
let client: S3Client

/** up starts keyhold-s3 over dataDir with a fresh KMS connection (so a fresh, empty ETag memory). */
async function up(): Promise<void> {
  sse = await setupEncryption(kesSettings(kh), { authorizer: rootOnlyAuthorizer, keepAliveMs: 0, log: recorded.log })
  server = await createS3Server({
    dataDir, rootUser: ROOT.user, rootPassword: ROOT.password, tls: { cert: pki.server.certPem, key: pki.server.keyPem },
    crypto: sse.crypto, subresources: sse.subresources, extraRoutes: sse.extraRoutes, kms: sse.kms, log: recorded.log,
  })
  client = new S3Client({
    endpoint: server.url, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1,
    credentials: { accessKeyId: ROOT.user, secretAccessKey: ROOT.password },
    requestHandler: new NodeHttpHandler({ httpsAgent: new Agent({ ca: pki.ca.certPem, keepAlive: true }) }),
  })
}

async function down(): Promise<void> {
  client.destroy()
  await server.close()
  sse.close()
}

function ready(): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}/minio/health/ready`, { ca: pki.ca.certPem, agent: false }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

beforeAll(async () => {
  kh = await startKeyhold()
  pki = await testPki()
  await up()
  await client.send(new CreateBucketCommand({ Bucket: 'outage' }))
})
afterAll(async () => {
  await down()
  await kh.stop()
})

describe('KMS away', () => {
  it('answers 503 saying the KMS is unreachable, logs the outage and the recovery once each, and readiness follows', async () => {
    const data = randomBytes(1000)
    await client.send(new PutObjectCommand({ Bucket: 'outage', Key: 'before', Body: data, ServerSideEncryption: 'AES256' }))
    expect((await ready()).status).toBe(200)
    await kh.stop()
    try {
      for (let i = 0; i < 3; i++) {
        const put = await s3error(client.send(new PutObjectCommand({ Bucket: 'outage', Key: `during-${i}`, Body: data, ServerSideEncryption: 'AES256' })))
        expect([put.$metadata.httpStatusCode, put.name, put.message]).toEqual([503, 'ServiceUnavailable', 'The KMS is unreachable; please retry the request once it is back'])
        const get = await s3error(client.send(new GetObjectCommand({ Bucket: 'outage', Key: 'before' })))
        expect([get.$metadata.httpStatusCode, get.name]).toEqual([503, 'ServiceUnavailable'])
      }
      const r = await ready()
      expect(r.status).toBe(503)
      expect(r.body).toContain('<Code>ServiceUnavailable</Code>')
      const outages = logged.filter((l) => l.startsWith('KMS is unreachable: '))
      expect(outages).toHaveLength(1)
      // An outage is trouble the server copes with (503s, readiness down): warn.
      expect(recorded.entries.find((e) => e.msg === outages[0])?.level).toBe('warn')
      // The endpoint and the cause, never a key.
      expect(outages[0]).toContain(`cannot reach ${kh.url}`)
      expect(outages[0]).toMatch(/ECONNREFUSED/)
    } finally {
      await kh.start()
    }
    expect((await ready()).status).toBe(200)
    await client.send(new PutObjectCommand({ Bucket: 'outage', Key: 'after', Body: data, ServerSideEncryption: 'AES256' }))
    expect(logged.filter((l) => l === 'KMS is reachable again')).toHaveLength(1)
    expect(recorded.entries.find((e) => e.msg === 'KMS is reachable again')?.level).toBe('info')
  })

  it('a listing during an outage works: remembered ETags, else MinIO\'s sealed-ETag format; the MD5s once it is back', async () => {
    const objects = Array.from({ length: 40 }, (_, i) => ({ key: `obj-${String(i).padStart(2, '0')}`, data: randomBytes(100 + i) }))
    for (const o of objects) await client.send(new PutObjectCommand({ Bucket: 'outage', Key: o.key, Body: o.data, ServerSideEncryption: 'AES256' }))
    const listed = async () => new Map(((await client.send(new ListObjectsV2Command({ Bucket: 'outage', Prefix: 'obj-' }))).Contents ?? []).map((c) => [c.Key!, c.ETag!]))
    await kh.stop()
    try {
      // Written by this process: the MD5 is remembered.
      const seen = await listed()
      for (const o of objects) expect(seen.get(o.key)).toBe(q(md5(o.data)))
    } finally {
      await kh.start()
    }
    // A restarted keyhold-s3 (it needs the KMS to start, as MinIO) has seen none of them.
    await down()
    await up()
    await kh.stop()
    try {
      const started = Date.now()
      const fallback = await listed()
      expect(Date.now() - started).toBeLessThan(5_000)
      expect(fallback.size).toBe(objects.length)
      for (const o of objects) {
        expect(fallback.get(o.key)).toMatch(/^"[0-9a-f]{32}"$/)
        expect(fallback.get(o.key)).not.toBe(q(md5(o.data)))
      }
      // The GET still needs the KMS: 503, not a wrong body.
      const get = await s3error(client.send(new GetObjectCommand({ Bucket: 'outage', Key: objects[0]!.key })))
      expect(get.$metadata.httpStatusCode).toBe(503)
    } finally {
      await kh.start()
    }
    // A listing asks a KMS it saw down at most once a second: a second on, the MD5s are back.
    await new Promise((r) => setTimeout(r, 1_100))
    const back = await listed()
    for (const o of objects) expect(back.get(o.key)).toBe(q(md5(o.data)))
  })
})

describe('an object with unreadable encryption metadata', () => {
  it('is listed (not failing the listing of its bucket) and logged once; its GET still fails, logged too', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'broken' }))
    const data = randomBytes(100)
    await client.send(new PutObjectCommand({ Bucket: 'broken', Key: 'good', Body: data, ServerSideEncryption: 'AES256' }))
    await client.send(new PutObjectCommand({ Bucket: 'broken', Key: 'bad', Body: data, ServerSideEncryption: 'aws:kms' }))
    // What an empty KMS ciphertext stored before generate answers were checked.
    const db = new Database(join(dataDir, 'keyhold-s3.db'))
    try {
      const row = db.prepare("SELECT internal, etag FROM objects WHERE bucket='broken' AND key='bad'").get() as { internal: string; etag: string }
      db.prepare("UPDATE objects SET internal = ? WHERE bucket='broken' AND key='bad'").run(JSON.stringify({ ...JSON.parse(row.internal), [META.kmsDataKey]: '' }))
      recorded.clear()
      for (let i = 0; i < 2; i++) {
        const listed = await client.send(new ListObjectsV2Command({ Bucket: 'broken' }))
        expect(listed.Contents?.map((c) => [c.Key, c.ETag])).toEqual([['bad', q(row.etag.slice(-32))], ['good', q(md5(data))]])
        const versions = await client.send(new ListObjectVersionsCommand({ Bucket: 'broken' }))
        expect(versions.Versions?.map((v) => v.Key)).toEqual(['bad', 'good'])
      }
      expect(recorded.entries.map((e) => [e.level, e.msg])).toEqual([
        ['warn', `object "broken/bad" has unreadable encryption metadata (missing KMS data key): listed with its stored ETag, reads of it fail`],
      ])
      recorded.clear()
      const get = await s3error(client.send(new HeadObjectCommand({ Bucket: 'broken', Key: 'bad' })))
      expect(get.$metadata.httpStatusCode).toBe(500)
      // The failed read reaches the operator too, with its request id, not only the client's 500.
      expect(recorded.entries.map((e) => [e.level, e.msg])).toEqual([
        ['warn', expect.stringMatching(/^answered InternalError to request [0-9A-F]{16} on \/broken\/bad: We encountered an internal error, please try again\.$/)],
      ])
    } finally {
      db.close()
    }
  })
})
