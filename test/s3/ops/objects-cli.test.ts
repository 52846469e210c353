import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runS3Cli } from '../../../src/cli/keyhold-s3/index.js'
import { ROOT_PASSWORD, ROOT_USER, startS3, type S3Fixture } from '../../helpers/s3.js'

let fx: S3Fixture
const work = mkdtempSync(join(tmpdir(), 'keyhold-s3-objects-cli-'))
const env: NodeJS.ProcessEnv = { KEYHOLD_S3_CONFIG_DIR: join(work, 'cfg') }

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const code = await runS3Cli(argv, { env, stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) })
  return { code, stdout, stderr }
}

beforeAll(async () => {
  fx = await startS3()
  mkdirSync(join(work, 'cfg', 'certs', 'CAs'), { recursive: true })
  writeFileSync(join(work, 'cfg', 'certs', 'CAs', 'ca.crt'), fx.pki.ca.certPem)
  expect((await run('alias', 'set', 'local', fx.server.url, ROOT_USER, ROOT_PASSWORD)).code).toBe(0)
})
afterAll(async () => fx?.close())

describe('keyhold-s3 ls, mb, rb, rm, cat, cp', () => {
  it('make a bucket, copy a large file in with a progress bar and back, list, print, remove', async () => {
    expect(await run('mb', 'local/everyday')).toMatchObject({ code: 0, stdout: 'Bucket created successfully `local/everyday`.\n' })
    const again = await run('mb', 'local/everyday')
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/^keyhold-s3: <ERROR> Unable to make bucket `local\/everyday`\. /)

    const big = randomBytes(9 * 1024 * 1024)
    writeFileSync(join(work, 'big.bin'), big)
    const up = await run('cp', join(work, 'big.bin'), 'local/everyday/dir/')
    expect(up.code, up.stderr).toBe(0)
    expect(up.stderr).toMatch(/big\.bin → \[=+\] 100% 9\.0\/9\.0 MiB/)
    writeFileSync(join(work, 'small.txt'), 'hello & <world>\n')
    expect((await run('cp', '--quiet', join(work, 'small.txt'), 'local/everyday/small & odd.txt')).code).toBe(0)

    const buckets = await run('ls', 'local')
    expect(buckets.stdout).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\] {5}0B everyday\/\n$/)
    const top = await run('ls', 'local/everyday')
    expect(top.stdout).toContain(' 0B dir/\n')
    expect(top.stdout).toMatch(/ 16B STANDARD small & odd\.txt\n/)
    expect((await run('ls', 'local/everyday/dir/')).stdout).toMatch(/9\.0MiB STANDARD big\.bin\n$/)

    expect(await run('cat', 'local/everyday/small & odd.txt')).toMatchObject({ code: 0, stdout: 'hello & <world>\n' })
    const back = join(work, 'back.bin')
    const down = await run('cp', 'local/everyday/dir/big.bin', back)
    expect(down.code, down.stderr).toBe(0)
    expect(readFileSync(back).equals(big)).toBe(true)
    expect(existsSync(`${back}.keyhold-s3-part`)).toBe(false)

    const missing = await run('cp', 'local/everyday/nope', join(work, 'nope'))
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('The specified key does not exist.')
    expect(existsSync(join(work, 'nope'))).toBe(false)

    const notEmpty = await run('rb', 'local/everyday')
    expect(notEmpty.code).toBe(1)
    expect(notEmpty.stderr).toContain('The bucket you tried to delete is not empty')
    expect(await run('rm', 'local/everyday/dir/big.bin')).toMatchObject({ code: 0, stdout: 'Removed `local/everyday/dir/big.bin`.\n' })
    expect((await run('rm', 'local/everyday/small & odd.txt')).code).toBe(0)
    expect(await run('rb', 'local/everyday')).toMatchObject({ code: 0, stdout: 'Removed `local/everyday` successfully.\n' })
    expect((await run('ls', 'nosuch/x')).stderr).toBe('keyhold-s3: <ERROR> Unable to find alias `nosuch`.\n')
  })
})
