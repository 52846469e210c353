/**
 * The `keyhold` executable itself (bin/keyhold.js through tsx): exit codes, streams, version.
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { apiKeyIdentity } from '../../src/pki/index.js'
import { spawnCli } from './run.js'

const REPO = fileURLToPath(new URL('../..', import.meta.url))

describe('bin/keyhold.js', () => {
  it('prints the version and JSON when piped', async () => {
    const [version, created] = await Promise.all([spawnCli(['--version']), spawnCli(['identity', 'new'])])
    expect(version).toMatchObject({ code: 0, stdout: expect.stringMatching(/^keyhold version \d+\.\d+\.\d+\n$/) as string })
    const { api_key, identity } = JSON.parse(created.stdout) as { api_key: string; identity: string }
    expect(apiKeyIdentity(api_key)).toBe(identity)
  }, 90_000)

  it('exits 1 with the failure on stderr, and 2 for usage errors', async () => {
    const [unreachable, usage] = await Promise.all([
      spawnCli(['key', 'create', 'k'], { KES_SERVER: '127.0.0.1:1', KES_API_KEY: 'kes:v1:ACQpoGqx3rHHjT938Hfu5hVVQJHZWSqVI2Xp1KlYxFVw' }),
      spawnCli(['key', 'create']),
    ])
    expect(unreachable).toEqual({ code: 1, stdout: '', stderr: 'Error: failed to create key "k": cannot reach https://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1\n' })
    expect(usage).toEqual({ code: 2, stdout: '', stderr: "Error: no key name specified. See 'keyhold key create --help'\n" })
  }, 90_000)
})

describe('the entry points run by any name', () => {
  // The Docker image and `node dist/src/cli/<command>/main.js` run main directly, not through bin/:
  // the entry must not guess from its own file name whether it is the main module.
  it.each(['keyhold', 'keyhold-s3'])('node src/cli/%s/main.ts --help prints the usage', async (command) => {
    const { stdout, code } = await new Promise<{ stdout: string; code: number | null }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', join(REPO, 'src', 'cli', command, 'main.ts'), '--help'], { timeout: 60_000 }, (err, out) => {
        resolve({ stdout: out, code: err === null ? 0 : (err as { code?: number }).code ?? null })
      })
    })
    expect(code).toBe(0)
    expect(stdout).toMatch(new RegExp(`^Usage:\\s+${command} `))
  }, 90_000)
})
