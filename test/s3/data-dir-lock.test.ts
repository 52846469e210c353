/**
 * One keyhold-s3 per data directory: a second server on the same DATA_DIR refuses to start,
 * naming the lock and the PID holding it; after a clean stop or a kill -9 a new one starts.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { spawnBin, type Spawned } from '../helpers/spawn-process.js'

const work = mkdtempSync(join(tmpdir(), 'keyhold-s3-lock-'))
const data = join(work, 'data')
const certs = join(work, 'no-certs')
mkdirSync(certs)
const running: Spawned[] = []
afterAll(async () => {
  await Promise.all(running.map((p) => p.stop('SIGKILL')))
  rmSync(work, { recursive: true, force: true })
})

function s3Server(): Spawned {
  const p = spawnBin('keyhold-s3', ['server', data, '--address', '127.0.0.1:0', '--certs-dir', certs, '--dev'])
  running.push(p)
  return p
}
const BANNER = /serving the S3 API at (http:\/\/\S+)/

describe('keyhold-s3 data directory lock', () => {
  it('refuses a second server on the same DATA_DIR with one line naming the lock and its PID', async () => {
    const first = s3Server()
    await first.waitFor(BANNER)
    const lock = join(data, 'keyhold-s3.lock')
    expect(existsSync(lock)).toBe(true)

    const second = s3Server()
    expect(await second.exited).toBe(1)
    expect(second.stdout()).toBe('')
    const lines = second.stderr().split('\n').filter((l) => l !== '')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(
      new RegExp(`^keyhold-s3 server: data directory '${data}' is in use: lock '${lock}' is held by PID ${first.child.pid} \\(keyhold-s3 server on `),
    )
    // The refused server touched nothing: the first still serves.
    const url = (await first.waitFor(BANNER))[1]!
    expect((await fetch(`${url}/minio/health/live`)).status).toBeLessThan(500)

    expect(await first.stop()).toBe(0)
    expect(existsSync(lock)).toBe(false)
  }, 150_000)

  it('takes over the lock of a server killed with SIGKILL', async () => {
    const killed = s3Server()
    await killed.waitFor(BANNER)
    expect(await killed.stop('SIGKILL')).toBe(null)
    expect(existsSync(join(data, 'keyhold-s3.lock'))).toBe(true) // left behind: stale

    const next = s3Server()
    await next.waitFor(BANNER)
    expect(await next.stop()).toBe(0)
  }, 150_000)
})
