/**
 * The README's quick start: `npm start` (bin/quickstart.js) brings up Keyhold and keyhold-s3 wired
 * together on dev defaults; the aws CLI lines it prints store an object encrypted through Keyhold.
 * It runs as `npm start` runs it: compiled to dist/ first (`prestart`), then from dist/.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort } from '../helpers/net.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)


function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  )
}

describe('quick start (npm start)', () => {
  const home = mkdtempSync(join(tmpdir(), 'keyhold-quickstart-'))
  let child: ChildProcess | undefined
  let output = ''
  let s3Url = ''
  let kmsAddress = ''
  let s3Address = ''

  beforeAll(async () => {
    const kmsPort = await freePort()
    const s3Port = await freePort()
    s3Url = `https://127.0.0.1:${s3Port}`
    kmsAddress = `127.0.0.1:${kmsPort}`
    s3Address = `127.0.0.1:${s3Port}`
    // npm's prestart: install when needed and compile to dist/, which the launcher then runs.
    await run(process.execPath, ['scripts/setup.js', '--build'])
    const env: NodeJS.ProcessEnv = { ...process.env, KEYHOLD_HOME: home, KEYHOLD_ADDR: kmsAddress, KEYHOLD_S3_ADDR: s3Address }
    delete env.KEYHOLD_FROM_SOURCE
    child = spawn(process.execPath, ['bin/quickstart.js'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()))
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()))
    const deadline = Date.now() + 50_000
    while (!output.includes('Ctrl-C stops both') && Date.now() < deadline && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 200))
    }
    expect(output).toContain('Ctrl-C stops both')
  }, 120_000)

  afterAll(() => {
    if (child !== undefined && child.exitCode === null) child.kill('SIGKILL')
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

  it('prints one "Try it" block whose keyhold-s3 alias and admin lines work as printed', async () => {
    expect(output.match(/Try it/g)).toHaveLength(1)
    const lines = output.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('node bin/keyhold-s3.js '))
    expect(lines.map((l) => l.split(/\s+/).slice(2, 4).join(' '))).toEqual(['alias set', 'admin user', 'admin policy', 'admin kms'])
    const env = {
      PATH: process.env.PATH, HOME: home, KEYHOLD_FROM_SOURCE: '1', KEYHOLD_S3_CONFIG_DIR: join(home, 'mc'),
      NODE_EXTRA_CA_CERTS: join(home, 'certs', 'ca.crt'),
    }
    const results: string[] = []
    for (const line of lines) {
      const argv = line.replace(/\s+#.*$/, '').split(/\s+/).slice(1)
      results.push((await run(process.execPath, argv, { env })).stdout)
    }
    expect(results[0]).toMatch(/Added `local` successfully/)
    expect(results[1]).toBe('Added user `alice` successfully.\n')
    expect(results[2]).toMatch(/Attached Policies: \[readwrite\]/)
    expect(results[3]).toMatch(/keyhold-default-key/)
  }, 60_000)

  it('a second npm start names both busy addresses and how to pick others, and leaves keyhold.yml alone', async () => {
    const config = join(home, 'keyhold.yml')
    const before = { text: readFileSync(config, 'utf8'), mtime: statSync(config).mtimeMs }
    const second = await run(process.execPath, ['bin/quickstart.js'], { env: { ...process.env, KEYHOLD_FROM_SOURCE: '1', KEYHOLD_HOME: home, KEYHOLD_ADDR: kmsAddress, KEYHOLD_S3_ADDR: s3Address } })
      .then(() => ({ code: 0, stderr: '' }), (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }))
    expect(second.code).toBe(1)
    expect(second.stderr).toContain(`Keyhold's address ${kmsAddress} is already in use`)
    expect(second.stderr).toContain(`keyhold-s3's address ${s3Address} is already in use`)
    expect(second.stderr).toMatch(/pick another: npm start -- --kms-address 127\.0\.0\.1:\d+ {3}\(or KEYHOLD_ADDR=127\.0\.0\.1:\d+ npm start\)/)
    expect(second.stderr).toMatch(/pick another: npm start -- --s3-address 127\.0\.0\.1:\d+ {3}\(or KEYHOLD_S3_ADDR=/)
    expect({ text: readFileSync(config, 'utf8'), mtime: statSync(config).mtimeMs }).toEqual(before)
  }, 60_000)

  it('stops both servers on SIGINT', async () => {
    const quickstart = child!
    const exited = new Promise<number | null>((r) => quickstart.once('exit', (code) => r(code)))
    quickstart.kill('SIGINT')
    expect(await exited).toBe(0)
  }, 15_000)
})
