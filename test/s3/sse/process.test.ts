import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs'
import { promisify } from 'node:util'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Agent } from 'node:https'
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testPki } from '../../helpers/pki.js'
import { startKeyhold, type Keyhold } from './keyhold.js'
import { ROOT } from './s3-helper.js'

const run = promisify(execFile)
const bin = new URL('../../../bin/keyhold-s3.js', import.meta.url).pathname

function serve(env: NodeJS.ProcessEnv, certsDir: string): { child: ChildProcess; output: Promise<{ url?: string; code?: number | null; text: string }> } {
  const dataDir = mkdtempSync(join(tmpdir(), 'keyhold-s3-proc-'))
  const child = spawn(process.execPath, [bin, 'server', dataDir, '--address', '127.0.0.1:0', '--certs-dir', certsDir], {
    env: { PATH: process.env.PATH, KEYHOLD_FROM_SOURCE: '1', MINIO_ROOT_USER: ROOT.user, MINIO_ROOT_PASSWORD: ROOT.password, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let text = ''
  const output = new Promise<{ url?: string; code?: number | null; text: string }>((resolve) => {
    const timer = setTimeout(() => resolve({ text }), 90_000)
    const onData = (c: Buffer) => {
      text += c.toString()
      const m = /(https?:\/\/127\.0\.0\.1:\d+)/.exec(text)
      if (m !== null && text.includes('KMS:')) {
        clearTimeout(timer)
        resolve({ url: m[1], text })
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, text })
    })
  })
  return { child, output }
}

describe('keyhold-s3 server process with MINIO_KMS_KES_*', () => {
  let kh: Keyhold
  let certsDir: string
  beforeAll(async () => {
    kh = await startKeyhold()
    const pki = await testPki()
    certsDir = mkdtempSync(join(tmpdir(), 'keyhold-s3-certs-'))
    copyFileSync(pki.server.certFile, join(certsDir, 'public.crt'))
    copyFileSync(pki.server.keyFile, join(certsDir, 'private.key'))
    mkdirSync(join(certsDir, 'CAs'))
    copyFileSync(pki.ca.certFile, join(certsDir, 'CAs', 'ca.crt')) // no MINIO_KMS_KES_CAPATH: the CAs dir is trusted
  })
  afterAll(async () => {
    await kh.stop()
  })

  it('dispatches the alias subcommand through bin/keyhold-s3.js (which checks the server, as mc)', async () => {
    const cfg = mkdtempSync(join(tmpdir(), 'keyhold-s3-alias-'))
    const r = await run(process.execPath, [bin, 'alias', 'set', 'demo', 'https://127.0.0.1:9', 'ak', 'sk'], { env: { PATH: process.env.PATH, KEYHOLD_FROM_SOURCE: '1', KEYHOLD_S3_CONFIG_DIR: cfg }, timeout: 90_000 }).catch((e: { stderr: string; code: number }) => e)
    expect(r.stderr).toMatch(/^keyhold-s3: <ERROR> Unable to reach https:\/\/127\.0\.0\.1:9: /)
    expect(existsSync(join(cfg, 'config.json'))).toBe(false)
  }, 120_000)

  it('stops start-up with MinIO\'s message when the KMS config is incomplete', async () => {
    const { output } = serve({ MINIO_KMS_KES_ENDPOINT: kh.url, MINIO_KMS_KES_KEY_NAME: 'k' }, certsDir)
    const r = await output
    expect(r.code).toBe(1)
    expect(r.text).toContain('kms: incomplete configuration for MinIO KES: missing authentication method')
  }, 120_000) // the aws CLI and child processes are slow on a loaded 2-core machine

  it('starts wired to Keyhold and encrypts with auto-encryption', async () => {
    const { child, output } = serve({
      MINIO_KMS_KES_ENDPOINT: kh.url, MINIO_KMS_KES_KEY_NAME: 'proc-default',
      MINIO_KMS_KES_CERT_FILE: kh.store.certFile, MINIO_KMS_KES_KEY_FILE: kh.store.keyFile, MINIO_KMS_AUTO_ENCRYPTION: 'on',
    }, certsDir)
    try {
      const r = await output
      expect(r.url).toMatch(/^https:/)
      expect(r.text).toContain('KMS:')
      const pki = await testPki()
      const c = new S3Client({
        endpoint: r.url, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: ROOT.user, secretAccessKey: ROOT.password },
        requestHandler: new NodeHttpHandler({ httpsAgent: new Agent({ ca: pki.ca.certPem }) }),
      })
      await c.send(new CreateBucketCommand({ Bucket: 'proc' }))
      await c.send(new PutObjectCommand({ Bucket: 'proc', Key: 'k', Body: 'hello' }))
      const head = await c.send(new HeadObjectCommand({ Bucket: 'proc', Key: 'k' }))
      expect([head.ServerSideEncryption, head.SSEKMSKeyId]).toEqual(['aws:kms', 'arn:aws:kms:proc-default'])
      c.destroy()
    } finally {
      child.kill('SIGTERM')
    }
  }, 120_000) // the aws CLI and child processes are slow on a loaded 2-core machine
})
