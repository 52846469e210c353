import { mkdtempSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runS3Cli } from '../../../src/cli/keyhold-s3.js'
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
  expect((await run('alias', 'set', 'local', fx.server.url, ROOT_USER, ROOT_PASSWORD)).code).toBe(0)
  expect((await run('alias', 'set', 'wrong', fx.server.url, ROOT_USER, 'not-the-secret')).code).toBeGreaterThanOrEqual(0)
})
afterAll(async () => fx?.close())

describe('keyhold-s3 admin info / prometheus generate', () => {
  it('admin info prints the server, its drive and the usage; --json is madmin\'s InfoMessage', async () => {
    const text = await run('admin', 'info', 'local', '--insecure')
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toMatch(/^● {2}127\.0\.0\.1:\d+\n/)
    expect(text.stdout).toContain('Drives: 1/1 OK')
    expect(text.stdout).toContain('4.0 KiB Used, 1 Bucket, 1 Object')
    const json = await run('admin', 'info', 'local', '--insecure', '--json')
    expect(JSON.parse(json.stdout)).toMatchObject({ mode: 'online', buckets: { count: 1 }, objects: { count: 1 }, usage: { size: 4096 } })
    const denied = await run('admin', 'info', 'wrong', '--insecure')
    expect(denied.code).toBe(1)
    expect(denied.stderr).toContain('Unable to get service info')
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
