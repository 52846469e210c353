/**
 * Hostile SSE input against keyhold-s3 with a real Keyhold: XML bombs in PutBucketEncryption, SSE-KMS key ids
 * that are not KES names, and SSE-C copy-source headers over plain HTTP. Every refusal is MinIO's 400.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { promisify } from 'node:util'
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { s3error } from '../../helpers/s3.js'
import { startKeyhold, type Keyhold } from './keyhold.js'
import { kesEnv, ROOT, startStore, type Store } from './s3-helper.js'

const run = promisify(execFile)
let kh: Keyhold
let tls: Store
let plain: Store

beforeAll(async () => {
  kh = await startKeyhold()
  tls = await startStore(kesEnv(kh))
  plain = await startStore(kesEnv(kh), { tls: false })
  await tls.client.send(new CreateBucketCommand({ Bucket: 'enc' }))
  await plain.client.send(new CreateBucketCommand({ Bucket: 'enc' }))
  await plain.client.send(new PutObjectCommand({ Bucket: 'enc', Key: 'src', Body: 'plain source' }))
})
afterAll(async () => {
  await tls?.close()
  await plain?.close()
  await kh?.stop()
})

/** curl signs with its own SigV4; `-k` is safe here: the answer, not the peer, is under test. */
async function curl(store: Store, method: string, path: string, headers: string[] = [], body?: string): Promise<{ status: number; body: string }> {
  const args = ['-s', '-k', '--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', `${ROOT.user}:${ROOT.password}`, '-H', 'x-amz-content-sha256: UNSIGNED-PAYLOAD',
    ...(method === 'HEAD' ? ['-I'] : ['-X', method]), '-w', '\n%{http_code}', ...headers.flatMap((h) => ['-H', h]), ...(body !== undefined ? ['--data-binary', body] : [])]
  const { stdout } = await run('curl', [...args, store.server.url + path], { timeout: 30_000 })
  const at = stdout.lastIndexOf('\n')
  return { status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) }
}

describe('hostile SSE input', () => {
  it('PutBucketEncryption: XML bombs and bad key names are 400 MalformedXML with MinIO\'s reason', async () => {
    const prefix = 'The XML you provided was not well-formed or did not validate against our published schema.'
    const config = (key: string) => `<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>${key}</KMSMasterKeyID></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>`
    const cases: Array<[string, string]> = [
      ['<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>' + config('&b;'), 'XML syntax error'],
      ['<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + config('&e;'), 'XML syntax error'],
      [`<ServerSideEncryptionConfiguration>${'<Rule>'.repeat(10_000)}${'</Rule>'.repeat(10_000)}</ServerSideEncryptionConfiguration>`, 'XML syntax error'],
      [config('app-1/x'), 'MasterKeyID contains unsupported characters'],
      [config('app-1 x'), 'MasterKeyID contains unsupported characters'],
    ]
    for (const [body, reason] of cases) {
      const a = await curl(tls, 'PUT', '/enc?encryption=', [], body)
      expect(a.status, a.body).toBe(400)
      expect(a.body).toContain(`<Code>MalformedXML</Code><Message>${prefix} (${reason})</Message>`)
    }
  })

  it('SSE-KMS PUT with a key id that is no KES name is 400 InvalidRequest, not kms:KeyGenerationFailed', async () => {
    for (const id of ['app-1/x', 'app-1 x', 'app-1%00', 'arn:aws:kms:../k']) {
      const e = await s3error(tls.client.send(new PutObjectCommand({ Bucket: 'enc', Key: 'k', Body: 'x', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: id })))
      expect([e.$metadata.httpStatusCode, e.name, e.message], id).toEqual([400, 'InvalidRequest', 'The specified KMS KeyID contains unsupported characters'])
    }
  })

  it('SSE-C copy-source headers over plain HTTP are refused like every SSE-C header', async () => {
    const key = Buffer.alloc(32, 7)
    const md5 = createHash('md5').update(key).digest('base64')
    const copyHeaders = ['x-amz-copy-source: /enc/src', 'x-amz-copy-source-server-side-encryption-customer-algorithm: AES256',
      `x-amz-copy-source-server-side-encryption-customer-key: ${key.toString('base64')}`, `x-amz-copy-source-server-side-encryption-customer-key-md5: ${md5}`]
    for (const headers of [copyHeaders, copyHeaders.slice(0, 2)]) {
      const a = await curl(plain, 'PUT', '/enc/dst', headers)
      expect(a.status, a.body).toBe(400)
      expect(a.body).toContain('<Code>InvalidRequest</Code><Message>Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.</Message>')
    }
    expect((await curl(plain, 'HEAD', '/enc/dst')).status).toBe(404)
  })
})
