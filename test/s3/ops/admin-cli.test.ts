import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runS3Cli } from '../../../src/cli/keyhold-s3/index.js'
import { ROOT_PASSWORD, ROOT_USER, startS3, type S3Fixture } from '../../helpers/s3.js'

let fx: S3Fixture
const env: NodeJS.ProcessEnv = { KEYHOLD_S3_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'keyhold-s3-admin-cli-')) }

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const code = await runS3Cli(argv, { env, stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) })
  return { code, stdout, stderr }
}

beforeAll(async () => {
  fx = await startS3()
  const c = fx.client()
  await c.send(new CreateBucketCommand({ Bucket: 'info-bucket' }))
  await c.send(new PutObjectCommand({ Bucket: 'info-bucket', Key: 'x', Body: Buffer.alloc(4096, 1) }))
  // The test CA is trusted from the config dir's certs/CAs, as mc's ~/.mc/certs/CAs.
  mkdirSync(join(env.KEYHOLD_S3_CONFIG_DIR!, 'certs', 'CAs'), { recursive: true })
  writeFileSync(join(env.KEYHOLD_S3_CONFIG_DIR!, 'certs', 'CAs', 'test-ca.crt'), fx.pki.ca.certPem)
  expect(await run('alias', 'set', 'local', fx.server.url, ROOT_USER, ROOT_PASSWORD)).toMatchObject({ code: 0, stdout: 'Added `local` successfully.\n' })
})
afterAll(async () => fx?.close())

describe('keyhold-s3 alias set', () => {
  it('checks the credentials as mc does and refuses wrong ones; the config file stays 0600 and holds no CA', async () => {
    const wrong = await run('alias', 'set', 'wrong', fx.server.url, ROOT_USER, 'not-the-secret')
    expect(wrong).toMatchObject({ code: 1, stderr: 'keyhold-s3: <ERROR> Unable to initialize new alias from the provided credentials. The request signature we calculated does not match the signature you provided. Check your key and signing method.\n' })
    const unknown = await run('alias', 'set', 'unknown', fx.server.url, 'nobody', 'whatever-secret')
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain('The Access Key Id you provided does not exist in our records.')
    const file = join(env.KEYHOLD_S3_CONFIG_DIR!, 'config.json')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const aliases = (JSON.parse(readFileSync(file, 'utf8')) as { aliases: Record<string, unknown> }).aliases
    expect(Object.keys(aliases)).toEqual(['local'])
    expect(aliases.local).toEqual({ url: fx.server.url, accessKey: ROOT_USER, secretKey: ROOT_PASSWORD, api: 's3v4', path: 'auto' })
  })

  it('without the CA in certs/CAs the server is refused unless --insecure', async () => {
    const bare: NodeJS.ProcessEnv = { KEYHOLD_S3_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'keyhold-s3-admin-cli-')) }
    let stderr = ''
    const code = await runS3Cli(['alias', 'set', 'x', fx.server.url, ROOT_USER, ROOT_PASSWORD], { env: bare, stdout: () => undefined, stderr: (s) => (stderr += s) })
    expect(code).toBe(1)
    expect(stderr).toMatch(/^keyhold-s3: <ERROR> Unable to reach https:\/\/127\.0\.0\.1:\d+: /)
    expect(await runS3Cli(['alias', 'set', 'x', fx.server.url, ROOT_USER, ROOT_PASSWORD, '--insecure'], { env: bare, stdout: () => undefined, stderr: () => undefined })).toBe(0)
  })
})

describe('keyhold-s3 admin info / prometheus generate', () => {
  it('admin info prints the server, its drive and the usage; --json is madmin\'s InfoMessage', async () => {
    const text = await run('admin', 'info', 'local')
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toMatch(/^● {2}127\.0\.0\.1:\d+\n/)
    expect(text.stdout).toContain('Drives: 1/1 OK')
    expect(text.stdout).toContain('4.0 KiB Used, 1 Bucket, 1 Object')
    const json = await run('admin', 'info', 'local', '--insecure', '--json')
    expect(JSON.parse(json.stdout)).toMatchObject({ mode: 'online', buckets: { count: 1 }, objects: { count: 1 }, usage: { size: 4096 } })
  })

  it('prometheus generate prints a scrape config whose token the metrics endpoint accepts', async () => {
    const out = await run('admin', 'prometheus', 'generate', 'local')
    expect(out.code).toBe(0)
    expect(out.stdout).toMatch(/^scrape_configs:\n- job_name: minio-job\n {2}bearer_token: \S+\n {2}metrics_path: \/minio\/v2\/metrics\/cluster\n {2}scheme: https\n/)
    const token = /bearer_token: (\S+)/.exec(out.stdout)![1]!
    const status = await new Promise<number>((resolve, reject) => {
      request(`${fx.server.url}/minio/v2/metrics/cluster`, { ca: fx.pki.ca.certPem, agent: false, headers: { authorization: `Bearer ${token}` } }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      }).on('error', reject).end()
    })
    expect(status).toBe(200)
    expect((await run('admin', 'prometheus', 'generate', 'local', 'node')).stdout).toContain('metrics_path: /minio/v2/metrics/node')
    expect((await run('admin', 'prometheus', 'generate', 'local', 'bogus')).code).toBe(1)
  })
})
