/**
 * The README's quick start: `npm start` (bin/quickstart.js) brings up Keyhold and keyhold-s3 wired
 * together on dev defaults; the aws CLI lines it prints store an object encrypted through Keyhold.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort } from './helpers/net.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)


function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  )
}

describe('quick start (npm start)', () => {
  const home = mkdtempSync(join(tmpdir(), 'keyhold-quickstart-'))
  let child: ChildProcess
  let output = ''
  let s3Url = ''

  beforeAll(async () => {
    const kmsPort = await freePort()
    const s3Port = await freePort()
    s3Url = `https://127.0.0.1:${s3Port}`
    child = spawn(process.execPath, ['bin/quickstart.js'], {
      env: { ...process.env, KEYHOLD_FROM_SOURCE: '1', KEYHOLD_HOME: home, KEYHOLD_ADDR: `127.0.0.1:${kmsPort}`, KEYHOLD_S3_ADDR: `127.0.0.1:${s3Port}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()))
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()))
    const deadline = Date.now() + 50_000
    while (!output.includes('Ctrl-C stops both') && Date.now() < deadline && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 200))
    }
    expect(output).toContain('Ctrl-C stops both')
  }, 60_000)

  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })

  it('prints aws CLI lines that store an object encrypted at rest through Keyhold', async () => {
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: 'minioadmin',
      AWS_SECRET_ACCESS_KEY: 'minioadmin',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_CA_BUNDLE: join(home, 'certs', 'ca.crt'),
    }
    expect(output).toContain(`export AWS_CA_BUNDLE=${join(home, 'certs', 'ca.crt')}`)
    const secret = `quick start plaintext ${Date.now()} `.repeat(50)
    const file = join(home, 'hello.txt')
    writeFileSync(file, secret)
    await run('aws', ['--endpoint-url', s3Url, 's3', 'mb', 's3://demo'], { env })
    await run('aws', ['--endpoint-url', s3Url, 's3', 'cp', file, 's3://demo/hello.txt'], { env })
    const head = JSON.parse((await run('aws', ['--endpoint-url', s3Url, 's3api', 'head-object', '--bucket', 'demo', '--key', 'hello.txt'], { env })).stdout) as Record<string, unknown>
    expect(head.ServerSideEncryption).toBe('aws:kms')
    expect(head.SSEKMSKeyId).toBe('arn:aws:kms:keyhold-default-key')
    expect(head.ContentLength).toBe(Buffer.byteLength(secret))
    expect(head.ContentEncoding).toBeUndefined() // aws-chunked framed the upload; it is not the object's encoding
    const got = await run('aws', ['--endpoint-url', s3Url, 's3', 'cp', 's3://demo/hello.txt', '-'], { env })
    expect(got.stdout).toBe(secret)
    // Nothing on disk holds the plaintext.
    const needle = Buffer.from('quick start plaintext')
    for (const f of filesUnder(join(home, 'data'))) {
      if (statSync(f).size > 0) expect(readFileSync(f).includes(needle), f).toBe(false)
    }
    // Keyhold audited the store's data-key requests under its policy.
    const audit = readFileSync(join(home, 'audit.log'), 'utf8')
    expect(audit).toMatch(/"path":"\/v1\/key\/generate\/keyhold-default-key".*"decision":"allow","policy":"minio"/)
  }, 60_000)

  it('stops both servers on SIGINT', async () => {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
    child.kill('SIGINT')
    expect(await exited).toBe(0)
  }, 15_000)
})
