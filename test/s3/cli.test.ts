import { spawn } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:tls'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runS3Cli } from '../../src/cli/keyhold-s3/index.js'
import { parseAddress } from '../../src/cli/keyhold-s3/server.js'
import { checkRootCredentials } from '../../src/s3/config/environment.js'
import { createCertificate, generateKeyPair, privateKeyToPem } from '../../src/pki/index.js'
import { testPki } from '../helpers/pki.js'

const work = mkdtempSync(join(tmpdir(), 'keyhold-s3-cli-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await runS3Cli(argv, { env, stdout: (s) => { out += s }, stderr: (s) => { err += s } })
  return { code, out, err }
}

function servedCn(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const cn = new X509Certificate(sock.getPeerX509Certificate()!.raw).subject.replace(/^CN=/, '')
      sock.destroy()
      resolve(cn)
    })
    sock.on('error', reject)
  })
}

describe('keyhold-s3 CLI', () => {
  it('prints help and refuses bad arguments and weak or missing root credentials', async () => {
    expect((await cli(['--help'])).out).toContain('server')
    expect((await cli(['nope'])).code).toBe(2)
    const help = await cli(['server', '--help'])
    expect(help.code).toBe(0)
    expect(help.out).toContain('--certs-dir DIR')
    expect((await cli(['server'])).code).toBe(2)
    const missing = await cli(['server', join(work, 'x')])
    expect(missing.code).toBe(1)
    expect(missing.err).toContain('MINIO_ROOT_USER and MINIO_ROOT_PASSWORD must be set')
    expect(checkRootCredentials('admin', 'short', false)).toMatch(/at least 8/)
    expect(checkRootCredentials('minioadmin', 'minioadmin', false)).toMatch(/well-known/)
    expect(checkRootCredentials('ab', 'long-enough-secret', false)).toMatch(/at least 3/)
    expect(checkRootCredentials(undefined, undefined, true)).toBeUndefined()
    expect(checkRootCredentials('admin', 'a-strong-secret-42', false)).toBeUndefined()
    expect(parseAddress(':9000')).toEqual({ host: '::', port: 9000 })
    expect(parseAddress('[::1]:0')).toEqual({ host: '::1', port: 0 })
    expect(() => parseAddress('nope')).toThrow()
  })

  it('stops on a bad variable with one line naming it, before the data dir is created or locked', async () => {
    const strong = { MINIO_ROOT_USER: 'admin', MINIO_ROOT_PASSWORD: 'a-strong-secret-42' }
    const cases: Array<[NodeJS.ProcessEnv, string]> = [
      [{ KEYHOLD_S3_CERTS_POLL: 'soon' }, "keyhold-s3 server: invalid KEYHOLD_S3_CERTS_POLL 'soon': use e.g. 60s, 500ms or off\n"],
      [{ MINIO_SHUTDOWN_TIMEOUT: '-5s' }, "keyhold-s3 server: invalid MINIO_SHUTDOWN_TIMEOUT '-5s': use e.g. 30s, 500ms or 0\n"],
      [{ MINIO_KMS_KES_ENDPOINT: 'https://kes:7373', MINIO_KMS_KES_KEY_NAME: 'k', MINIO_KMS_KES_KEY_PASSWORD: 'key-pass-9' }, "keyhold-s3 server: kms: incomplete configuration for MinIO KES: missing 'MINIO_KMS_KES_CERT_FILE'\n"],
    ]
    for (const [vars, line] of cases) {
      const dataDir = join(work, 'never-created')
      const r = await cli(['server', dataDir, '--address', '127.0.0.1:0'], { ...strong, ...vars })
      expect([r.code, r.err, r.out]).toEqual([1, line, ''])
      expect(r.err).not.toMatch(/a-strong-secret-42|key-pass-9/)
      expect(existsSync(dataDir)).toBe(false)
    }
  })

  it('runs as a process: banner with an aws example, SIGHUP reloads certificates, SIGTERM stops', async () => {
    const pki = await testPki()
    const certs = join(work, 'certs')
    mkdirSync(certs, { recursive: true })
    writeFileSync(join(certs, 'public.crt'), pki.server.certPem)
    writeFileSync(join(certs, 'private.key'), pki.server.keyPem)
    const proc = spawn(process.execPath, ['bin/keyhold-s3.js', 'server', join(work, 'data'), '--address', '127.0.0.1:0', '--certs-dir', certs], {
      env: { ...process.env, KEYHOLD_FROM_SOURCE: '1', MINIO_ROOT_USER: 'admin', MINIO_ROOT_PASSWORD: 'a-strong-secret-42' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    try {
      let out = ''
      let err = ''
      proc.stderr.on('data', (c: Buffer) => { err += c.toString() })
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no banner: ${out}`)), 30_000)
        proc.stdout.on('data', (c: Buffer) => {
          out += c.toString()
          const m = /aws --endpoint-url (https:\/\/\S+) s3 cp/.exec(out)
          if (m !== null) {
            clearTimeout(timer)
            resolve(m[1]!)
          }
        })
      })
      expect(out).toContain('serving the S3 API at https://127.0.0.1:')
      // No KMS configured: said at start-up. The "Try it" lines name the secret, never print it or '...'.
      expect(out).toContain('KMS: none (MINIO_KMS_KES_ENDPOINT unset): objects are stored UNENCRYPTED')
      expect(out).toContain('export AWS_ACCESS_KEY_ID=admin AWS_SECRET_ACCESS_KEY="$MINIO_ROOT_PASSWORD"')
      expect(out).toContain(`keyhold-s3 alias set local ${url} admin "$MINIO_ROOT_PASSWORD"`)
      expect(out).not.toContain('a-strong-secret-42')
      const port = Number(new URL(url).port)
      expect(await servedCn(port)).toBe('server')
      const keyPair = generateKeyPair()
      writeFileSync(join(certs, 'public.crt'), await createCertificate({ commonName: 'after-hup', keyPair, hosts: ['127.0.0.1'], usage: ['server'] }))
      writeFileSync(join(certs, 'private.key'), privateKeyToPem(keyPair.privateKey))
      proc.kill('SIGHUP')
      for (let i = 0; i < 50 && !err.includes('certificates reloaded'); i++) await new Promise((r) => setTimeout(r, 100))
      // The server logs in the shared line format (src/lib/logger.ts): JSON, ISO time, level name, svc.
      const reloaded = err.split('\n').find((l) => l.includes('certificates reloaded'))
      expect(JSON.parse(reloaded ?? '{}')).toMatchObject({ level: 'info', svc: 'keyhold-s3', msg: 'certificates reloaded (SIGHUP)' })
      expect(await servedCn(port)).toBe('after-hup')
      // A reload that fails keeps the old certificate and says so at warn, without the file's content.
      writeFileSync(join(certs, 'private.key'), 'not a private key')
      proc.kill('SIGHUP')
      for (let i = 0; i < 50 && !err.includes('certificate reload failed'); i++) await new Promise((r) => setTimeout(r, 100))
      const failed = err.split('\n').find((l) => l.includes('certificate reload failed'))
      expect(JSON.parse(failed ?? '{}')).toMatchObject({ level: 'warn', svc: 'keyhold-s3', msg: expect.stringMatching(/^certificate reload failed, keeping the old ones: /) })
      expect(await servedCn(port)).toBe('after-hup')
      proc.kill('SIGTERM')
      const code = await new Promise<number | null>((r) => proc.once('exit', r))
      expect(code).toBe(0)
      // Start-up, reload and stop lines reached stderr; no secret did.
      expect(JSON.parse(err.trim().split('\n').at(-1)!)).toMatchObject({ level: 'info', msg: expect.stringMatching(/^stopped on SIGTERM in \d+ ms: /) })
      expect(err).not.toContain('a-strong-secret-42')
      expect(err).not.toContain('not a private key')
      expect(err).not.toContain('PRIVATE KEY')
    } finally {
      if (proc.exitCode === null) proc.kill('SIGKILL')
    }
  }, 60_000)
})
