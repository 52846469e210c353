/**
 * The admin API against MinIO's own Go admin client (madmin-go, Debian's golang-github-minio-madmin-go-dev,
 * built offline with golang-go). Skips with a message when Go or the package is missing.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process'
import { promisify } from 'node:util'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { MADMIN_PBKDF2_AES } from '../../../src/s3/admin/madmin-crypto.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, startIamServer, type IamServer } from './helpers.js'

const here = dirname(fileURLToPath(import.meta.url))
const GOPATH = '/usr/share/gocode'
const hasGo = spawnSync('go', ['version']).status === 0
const hasMadmin = existsSync(join(GOPATH, 'src/github.com/minio/madmin-go/encrypt.go'))
const skip = !hasGo || !hasMadmin
if (skip) {
  console.warn('madmin-go test skipped: install the Debian packages golang-go and golang-github-minio-madmin-go-dev')
}

/** Builds the Go program once per source version; the binary is cached in the temp dir. */
function buildChecker(): string {
  const source = readFileSync(join(here, 'madmin/main.go'))
  const dir = join(tmpdir(), `keyhold-madmin-${createHash('sha256').update(source).digest('hex').slice(0, 16)}`)
  const bin = join(dir, 'madmin-check')
  if (existsSync(bin)) return bin
  mkdirSync(dir, { recursive: true })
  execFileSync('go', ['build', '-o', `${bin}.tmp`, '.'], {
    cwd: join(here, 'madmin'), timeout: 240_000, stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, GO111MODULE: 'off', GOPATH, GOFLAGS: '', GOPROXY: 'off', GOCACHE: join(tmpdir(), 'keyhold-madmin-gocache') },
  })
  renameSync(`${bin}.tmp`, bin)
  return bin
}

interface Step { step: string; ok: boolean; error?: string; value?: unknown }

let srv: IamServer
let bin: string
beforeAll(async () => {
  if (skip) return
  bin = buildChecker()
  srv = await startIamServer({ responseAlgorithm: MADMIN_PBKDF2_AES })
}, 300_000)
afterAll(async () => srv?.close())

// Asynchronous: the server runs in this process, so the event loop must stay free.
async function run(access: string, secret: string, scenario: string): Promise<Map<string, Step>> {
  const { stdout: out } = await promisify(execFile)(bin, [srv.url, access, secret, scenario], { timeout: 120_000, encoding: 'utf8' })
  return new Map(out.trim().split('\n').map((l) => JSON.parse(l) as Step).map((s) => [s.step, s]))
}

describe.skipIf(skip)('admin API with the real madmin-go client', () => {
  it('adds users, attaches policies, manages groups and service accounts', async () => {
    const s = await run(ROOT.accessKey, ROOT.secretKey, 'full')
    const ok = (name: string): unknown => {
      const step = s.get(name)
      expect(step, name).toBeDefined()
      expect(step!.error, name).toBeUndefined()
      return step!.value
    }
    const err = (name: string): string => {
      expect(s.get(name)?.ok, name).toBe(false)
      return s.get(name)!.error!
    }
    ok('add-user')
    expect(ok('list-users')).toMatchObject({ alice: { status: 'enabled' } })
    expect(ok('user-info')).toMatchObject({ status: 'enabled' })
    ok('add-policy')
    expect(err('add-bad-policy')).toContain("unsupported action 's3:ListObjects'")
    expect(JSON.parse(ok('info-policy') as string)).toEqual({
      Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetBucketLocation', 's3:GetObject'], Resource: ['arn:aws:s3:::*'] }],
    })
    expect(ok('list-policies')).toEqual(expect.arrayContaining(['readonly', 'readwrite', 'writeonly', 'diagnostics', 'consoleAdmin', 'bucket-a']))
    ok('attach')
    expect(err('attach-again')).toBe('The specified policy change is already in effect.')
    expect(ok('policy-entities')).toMatchObject({ userMappings: [{ user: 'alice', policies: ['readonly'] }] })
    ok('set-policy')
    ok('group-add')
    expect(ok('group-info')).toMatchObject({ name: 'devs', status: 'enabled', members: ['alice'] })
    expect(ok('groups')).toEqual(['devs'])
    expect(err('group-add-ghost')).toContain('The specified user does not exist')
    const creds = ok('svcacct-add') as { accessKey: string; secretKey: string }
    expect(creds.accessKey).toMatch(/^[0-9A-Z]{20}$/)
    expect(creds.secretKey).toHaveLength(40)
    expect(ok('svcacct-add-chosen')).toMatchObject({ accessKey: 'alicesvc1', secretKey: 'alicesvc1-secret' })
    expect((ok('svcacct-list') as { accounts: string[] }).accounts.sort()).toEqual([creds.accessKey, 'alicesvc1'].sort())
    const info = ok('svcacct-info') as { parentUser: string; accountStatus: string; impliedPolicy: boolean; policy: string }
    expect(info).toMatchObject({ parentUser: 'alice', accountStatus: 'on', impliedPolicy: false })
    expect(JSON.parse(info.policy).Statement[0].Resource).toEqual(['arn:aws:s3:::a/*'])
    ok('svcacct-disable')
    expect(ok('svcacct-info-disabled')).toMatchObject({ accountStatus: 'off' })
    ok('svcacct-delete')
    expect(err('svcacct-info-deleted')).toContain('service account')
    ok('user-disable')
    expect(ok('user-info-disabled')).toMatchObject({ status: 'disabled' })
    ok('detach')
    ok('remove-policy')
    ok('remove-user')
    expect(err('user-info-removed')).toBe('The specified user does not exist.')
  }, 120_000)

  it('ServerInfo decodes as madmin\'s InfoMessage: one online server with its drive, counts and usage', async () => {
    const info = (await run(ROOT.accessKey, ROOT.secretKey, 'info')).get('info')
    expect(info?.error).toBeUndefined()
    const v = info!.value as { mode: string; buckets: { count: number }; servers: Array<{ state: string; version: string; drives: Array<{ state: string; totalspace: number }> }>; backend: { backendType: string } }
    expect(v.mode).toBe('online')
    expect(v.backend.backendType).toBe('Erasure')
    expect(v.servers).toHaveLength(1)
    expect(v.servers[0]!.state).toBe('online')
    expect(v.servers[0]!.version).toMatch(/^keyhold-s3 /)
    expect(v.servers[0]!.drives[0]!.state).toBe('ok')
    expect(v.servers[0]!.drives[0]!.totalspace).toBeGreaterThan(0)
    expect(typeof v.buckets.count).toBe('number')
    expect((await run('nobody', 'nobody-secret', 'info')).get('info')?.error).toContain('Access Key Id you provided does not exist')
  })

  it('refuses a client with a wrong secret and a user without admin rights', async () => {
    expect((await run(ROOT.accessKey, 'not-the-root-secret', 'denied')).get('list-users')?.error).toContain('signature')
    expect((await run('nobody', 'nobody-secret', 'denied')).get('list-users')?.error).toContain('Access Key Id you provided does not exist')
  })
})
