import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { aliasCommand } from '../../../src/cli/keyhold-s3/alias.js'
import { adminKmsCommand } from '../../../src/cli/keyhold-s3/admin-kms.js'
import { encryptCommand } from '../../../src/cli/keyhold-s3/encrypt.js'
import { statCommand } from '../../../src/cli/keyhold-s3/stat.js'
import { startKeyhold, type Keyhold } from './keyhold.js'
import { ROOT, kesEnv, startStore, type Store } from './s3-helper.js'

const run = promisify(execFile)

describe('seed scenario: Keyhold policy, keyhold-s3 over TLS with MINIO_KMS_KES_*, bucket default SSE-KMS, aws CLI', () => {
  let kh: Keyhold
  let store: Store
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-s3-seed-'))
  const out: string[] = []
  const io = { env: { KEYHOLD_S3_CONFIG_DIR: join(dir, 'cfg') }, stdout: (s: string) => out.push(s), stderr: (s: string) => out.push(s) }
  let awsEnv: NodeJS.ProcessEnv

  beforeAll(async () => {
    kh = await startKeyhold()
    store = await startStore(kesEnv(kh))
    awsEnv = {
      PATH: process.env.PATH, HOME: dir, AWS_ACCESS_KEY_ID: ROOT.user, AWS_SECRET_ACCESS_KEY: ROOT.password, AWS_DEFAULT_REGION: 'us-east-1',
      AWS_CONFIG_FILE: join(dir, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'), AWS_EC2_METADATA_DISABLED: 'true', AWS_CA_BUNDLE: kh.ca.certFile,
    }
  })
  afterAll(async () => {
    await store.close()
    await kh.stop()
  })

  const aws = async (...args: string[]) => (await run('aws', ['--endpoint-url', store.server.url, ...args], { env: awsEnv, timeout: 60_000 })).stdout

  it('runs end to end', async () => {
    expect(await aliasCommand(['set', 'local', store.server.url, ROOT.user, ROOT.password, '--insecure'], io)).toBe(0)
    expect(statSync(join(dir, 'cfg', 'config.json')).mode & 0o777).toBe(0o600)
    await aws('s3api', 'create-bucket', '--bucket', 'seed')
    out.length = 0
    expect(await encryptCommand(['set', 'sse-kms', 'minio-default', 'local/seed', '--insecure'], io)).toBe(0)
    expect(out.join('')).toBe('Auto encryption configuration has been set successfully for local/seed\n')
    out.length = 0
    expect(await encryptCommand(['info', 'local/seed', '--insecure'], io)).toBe(0)
    expect(out.join('')).toBe("Auto encryption 'sse-kms' is enabled with KeyID: minio-default\n")

    const file = join(dir, 'upload.bin')
    const data = randomBytes(300_000)
    writeFileSync(file, data)
    await aws('s3', 'cp', file, 's3://seed/report.bin')
    const head = JSON.parse(await aws('s3api', 'head-object', '--bucket', 'seed', '--key', 'report.bin')) as Record<string, unknown>
    expect(head.ServerSideEncryption).toBe('aws:kms')
    expect(head.SSEKMSKeyId).toBe('arn:aws:kms:minio-default')
    expect(head.ContentLength).toBe(data.length)
    await aws('s3', 'cp', 's3://seed/report.bin', join(dir, 'download.bin'))
    expect(readFileSync(join(dir, 'download.bin')).equals(data)).toBe(true)

    out.length = 0
    expect(await statCommand(['local/seed/report.bin', '--insecure'], io)).toBe(0)
    expect(out.join('')).toContain('Encryption: SSE-KMS (arn:aws:kms:minio-default)')
    out.length = 0
    expect(await adminKmsCommand(['kms', 'key', 'status', 'local', '--insecure'], io)).toBe(0)
    expect(out.join('')).toBe('Key: minio-default\n   - Encryption ✔\n   - Decryption ✔\n')
    out.length = 0
    expect(await adminKmsCommand(['kms', 'key', 'status', 'local', 'missing-key', '--insecure'], io)).toBe(1)
    expect(out.join('')).toContain('Encryption ✗ (key with given key ID does not exist)')
  }, 120_000) // the aws CLI and child processes are slow on a loaded 2-core machine

  it('refuses a missing KMS key for bucket encryption and SSE-C over plain HTTP', async () => {
    out.length = 0
    expect(await encryptCommand(['set', 'sse-kms', 'no-such-key', 'local/seed', '--insecure'], io)).toBe(1)
    expect(out.join('')).toContain('key with given key ID does not exist')
    const plain = await startStore(kesEnv(kh), { tls: false })
    try {
      const key = randomBytes(32)
      await run('aws', ['--endpoint-url', plain.server.url, 's3api', 'create-bucket', '--bucket', 'plain'], { env: awsEnv, timeout: 60_000 })
      const err = await run('aws', ['--endpoint-url', plain.server.url, 's3api', 'put-object', '--bucket', 'plain', '--key', 'k', '--sse-customer-algorithm', 'AES256', '--sse-customer-key', key.toString('base64')], { env: awsEnv, timeout: 60_000 }).catch((e: { stderr: string }) => e)
      expect((err as { stderr: string }).stderr).toContain('Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.')
    } finally {
      await plain.close()
    }
  }, 120_000) // the aws CLI and child processes are slow on a loaded 2-core machine
})
