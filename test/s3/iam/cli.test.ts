import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { MADMIN_PBKDF2_AES } from '../../../src/s3/admin/madmin-crypto.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runS3Cli } from '../../../src/cli/keyhold-s3/index.js'
import { ROOT, startIamServer, type IamServer } from './helpers.js'

let srv: IamServer
let env: NodeJS.ProcessEnv
let dir: string
beforeAll(async () => {
  srv = await startIamServer({ responseAlgorithm: MADMIN_PBKDF2_AES })
  dir = mkdtempSync(join(tmpdir(), 'keyhold-s3-cli-'))
  env = { KEYHOLD_S3_CONFIG_DIR: dir }
  expect((await run('alias', 'set', 'local', srv.url, ROOT.accessKey, ROOT.secretKey, '--insecure')).code).toBe(0)
})
afterAll(async () => srv?.close())

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const code = await runS3Cli(argv, { env, stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) })
  return { code, stdout, stderr }
}
// The test CA is private; in-process runs skip verification, the spawned run below trusts the CA.
const admin = (...argv: string[]) => run('admin', ...argv, '--insecure')

describe('keyhold-s3 admin (mc admin look-alike)', () => {
  it('manages users, policies, groups and service accounts', async () => {
    expect(await admin('user', 'add', 'local', 'alice', 'alice-secret-1')).toMatchObject({ code: 0, stdout: 'Added user `alice` successfully.\n' })
    expect(await admin('policy', 'attach', 'local', 'readonly', '--user', 'alice')).toMatchObject({ code: 0, stdout: 'Attached Policies: [readonly]\nTo User: alice\n' })
    const again = await admin('policy', 'attach', 'local', 'readonly', '--user', 'alice')
    expect(again).toMatchObject({ code: 1, stderr: 'keyhold-s3: <ERROR> Unable to attach policy. The specified policy change is already in effect.\n' })
    expect((await admin('user', 'list', 'local')).stdout).toMatch(/^enabled\s+alice\s+readonly\n$/)
    expect((await admin('user', 'info', 'local', 'alice')).stdout).toBe('AccessKey: alice\nStatus: enabled\nPolicyName: readonly\nMemberOf: []\n')
    const file = join(dir, 'p.json')
    writeFileSync(file, JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::data/*'] }] }))
    expect((await admin('policy', 'create', 'local', 'data-read', file)).stdout).toBe('Created policy `data-read` successfully.\n')
    expect((await admin('policy', 'list', 'local')).stdout.split('\n')).toContain('data-read')
    expect(JSON.parse((await admin('policy', 'info', 'local', 'data-read')).stdout)).toMatchObject({ Statement: [{ Resource: ['arn:aws:s3:::data/*'] }] })
    writeFileSync(file, '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Nope","Resource":"arn:aws:s3:::*"}]}')
    expect(await admin('policy', 'create', 'local', 'bad', file)).toMatchObject({ code: 1, stderr: "keyhold-s3: <ERROR> Unable to create new policy. Statement[0]: unsupported action 's3:Nope'\n" })
    expect((await admin('group', 'add', 'local', 'devs', 'alice')).stdout).toBe('Added members `alice` to group `devs` successfully.\n')
    expect((await admin('group', 'info', 'local', 'devs')).stdout).toBe('Group: devs\nStatus: enabled\nPolicy: \nMembers: alice\n')
    expect((await admin('group', 'remove', 'local', 'devs')).code).toBe(1)
    expect((await admin('group', 'remove', 'local', 'devs', 'alice')).code).toBe(0)
    expect((await admin('group', 'remove', 'local', 'devs')).stdout).toBe('Removed group `devs` successfully.\n')

    writeFileSync(file, JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::data/*'] }] }))
    const sa = await admin('user', 'svcacct', 'add', 'local', 'alice', '--access-key', 'alicesvc', '--secret-key', 'alicesvc-secret', '--policy', file, '--name', 'job', '--expiry', '2h')
    expect(sa.code).toBe(0)
    expect(sa.stdout).toMatch(/^Access Key: alicesvc\nSecret Key: alicesvc-secret\nExpiration: \d{4}-\d\d-\d\dT/)
    expect((await admin('user', 'svcacct', 'list', 'local', 'alice')).stdout).toMatch(/^alicesvc\s+\d{4}-/)
    expect((await admin('user', 'svcacct', 'disable', 'local', 'alicesvc')).stdout).toBe('Disabled service account `alicesvc` successfully.\n')
    expect((await admin('user', 'svcacct', 'edit', 'local', 'alicesvc', '--description', 'nightly')).code).toBe(0)
    const info = await admin('user', 'svcacct', 'info', 'local', 'alicesvc')
    expect(info.stdout).toMatch(/ParentUser: alice\nStatus: off\nName: job\nDescription: nightly\nPolicy: embedded\n/)
    expect((await admin('user', 'svcacct', 'rm', 'local', 'alicesvc')).stdout).toBe('Removed service account `alicesvc` successfully.\n')
    expect((await admin('user', 'svcacct', 'info', 'local', 'alicesvc')).stderr).toContain('The specified service account is not found.')
    expect((await admin('user', 'disable', 'local', 'alice')).stdout).toBe('Disabled user `alice` successfully.\n')
    expect((await admin('user', 'remove', 'local', 'alice')).stdout).toBe('Removed user `alice` successfully.\n')
    expect(await admin('user', 'info', 'local', 'alice')).toMatchObject({ code: 1, stderr: 'keyhold-s3: <ERROR> Unable to get user info. The specified user does not exist.\n' })
  }, 120_000)

  it('reports usage errors, unknown aliases and flags', async () => {
    expect((await run('admin')).code).toBe(2)
    expect((await admin('user', 'add', 'nosuch', 'bob', 'bob-secret')).stderr).toBe('keyhold-s3: <ERROR> Unable to find alias `nosuch`.\n')
    expect((await admin('user', 'add', 'local', 'bob', 'bob-secret', '--bogus', 'x')).stderr).toBe('keyhold-s3: <ERROR> Unknown flag `--bogus`.\n')
    expect((await admin('policy', 'attach', 'local', 'readonly')).stderr).toBe('keyhold-s3: <ERROR> Give exactly one of --user or --group.\n')
  })

  it('reads the secret key from stdin when not given (spawned, trusting the CA)', async () => {
    const caFile = join(dir, 'ca.pem')
    writeFileSync(caFile, srv.ca)
    const bin = fileURLToPath(new URL('../../../bin/keyhold-s3.js', import.meta.url))
    const child = spawn(process.execPath, [bin, 'admin', 'user', 'add', 'local', 'carol'], {
      env: { PATH: process.env.PATH, KEYHOLD_FROM_SOURCE: '1', KEYHOLD_S3_CONFIG_DIR: dir, NODE_EXTRA_CA_CERTS: caFile },
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr.on('data', (c: Buffer) => (err += c.toString()))
    child.stdin.end('carol-secret-1\n')
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    expect({ code, out }).toEqual({ code: 0, out: 'Added user `carol` successfully.\n' })
    expect(err).toContain('Enter Secret Key: ')
    expect(err).not.toContain('carol-secret-1')
    expect(srv.hooks.iam.users.getUser('carol')?.status).toBe('enabled')
    expect((await srv.hooks.access.lookup('carol'))?.secretKey).toBe('carol-secret-1')
  }, 60_000)
})
