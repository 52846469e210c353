import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import { CreateBucketCommand, GetObjectCommand, ListBucketsCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { Middleware } from '../../src/kms/api/http-types.js'
import { startServerParts, type ServerParts } from '../../src/cli/keyhold-s3/server-parts.js'
import { KesClient } from '../../src/kes-client/index.js'
import { identityOfCertificate } from '../../src/pki/index.js'
import { Iam } from '../../src/s3/iam/iam.js'
import { SharedKms } from '../../src/s3/kms/shared.js'
import type { S3ServerOptions } from '../../src/s3/options.js'
import { startKeyhold, type Keyhold } from './sse/keyhold.js'
import { kesSettings } from './sse/s3-helper.js'
import { ROOT_PASSWORD, ROOT_USER, s3error, startS3, type S3Fixture } from '../helpers/s3.js'
import { silentMessageLog } from '../../src/lib/logger.js'

/** Every request Keyhold served: the TLS connection it came on and the caller's identity. */
const seen: Array<{ socket: TLSSocket; identity: string }> = []
const record: Middleware = (req, _res, next) => {
  const socket = req.socket as TLSSocket
  seen.push({ socket, identity: identityOfCertificate(socket.getPeerX509Certificate()!) })
  next()
}

let kh: Keyhold
let kms: SharedKms
let fx: S3Fixture
let parts: ServerParts | undefined
const dataDir = mkdtempSync(join(tmpdir(), 'keyhold-s3-shared-kms-'))
const creates = vi.spyOn(KesClient, 'create')

beforeAll(async () => {
  kh = await startKeyhold({ requestWrappers: [record] })
  // A user stored before the KMS was configured: the IAM part reseals its secret through the KMS.
  const early = new Iam({ dataDir, rootUser: ROOT_USER, rootPassword: ROOT_PASSWORD })
  await early.addUser('alice', 'alice-secret-1')
  early.close()

  kms = new SharedKms(kesSettings(kh), { keepAliveMs: 0 })
  parts = await startServerParts({ dataDir, certsDir: dataDir, rootUser: ROOT_USER, rootPassword: ROOT_PASSWORD, kms, log: silentMessageLog })
  const options: Partial<S3ServerOptions> = { dataDir, ...parts.options }
  fx = await startS3(options)
})
afterAll(async () => {
  await fx?.close()
  await parts?.close()
  parts = undefined
  await kms?.close()
  await kh?.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('keyhold-s3 server parts share one KES client', () => {
  it('seals IAM secrets and encrypts objects through a single client and connection', async () => {
    const s3 = fx.client()
    await s3.send(new CreateBucketCommand({ Bucket: 'shared' }))
    await s3.send(new PutObjectCommand({ Bucket: 'shared', Key: 'k', Body: 'sealed by the KMS', ServerSideEncryption: 'aws:kms' }))
    const got = await s3.send(new GetObjectCommand({ Bucket: 'shared', Key: 'k' }))
    expect(got.ServerSideEncryption).toBe('aws:kms')
    expect(await got.Body!.transformToString()).toBe('sealed by the KMS')

    // alice's signature verifies only if her resealed secret came back through the KMS; she has no policy.
    const alice = await s3error(fx.client({ credentials: { accessKeyId: 'alice', secretAccessKey: 'alice-secret-1' } }).send(new ListBucketsCommand({})))
    expect(alice.name).toBe('AccessDenied')
    const iam = new Iam({ dataDir, rootUser: ROOT_USER, rootPassword: ROOT_PASSWORD })
    expect(iam.users.getUser('alice')!.secret).toMatch(/^kms:v1:/)
    iam.close()

    expect(creates).toHaveBeenCalledTimes(1)
    // MinIO's start-up generate, the reseal, the PUT's generate, the GET's decrypt, alice's unseal.
    expect(seen.length).toBeGreaterThanOrEqual(5)
    expect(new Set(seen.map((s) => s.socket)).size).toBe(1)
    expect(new Set(seen.map((s) => s.identity))).toEqual(new Set([kh.store.identity]))
  })
})
