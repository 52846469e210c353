/**
 * bin/healthcheck.js, the container's HEALTHCHECK, against a real KMS server and a closed port.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { freePort } from '../helpers/net.js'
import { startTestServer } from '../helpers/server.js'

const SCRIPT = fileURLToPath(new URL('../../bin/healthcheck.js', import.meta.url))

function check(...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [SCRIPT, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, out: stdout + stderr })
    })
  })
}

describe('bin/healthcheck.js', () => {
  it('is healthy when /v1/ready answers (200 with skip_auth; a certificate demand still means alive)', async () => {
    const open = await startTestServer({ api: { '/v1/ready': { skipAuth: true } } })
    expect(await check('kms', open.url)).toEqual({ code: 0, out: 'healthy: /v1/ready answered 200\n' })
    const guarded = await startTestServer()
    const r = await check('kms', guarded.url)
    expect(r.code).toBe(0)
    expect(r.out).toBe('healthy: /v1/ready hung up after the TLS handshake (no client certificate)\n')
  }, 60_000)

  it('is unhealthy when nothing listens, for either service', async () => {
    const port = await freePort()
    for (const which of ['kms', 's3']) {
      const r = await check(which, `https://127.0.0.1:${port}`)
      expect(r.code).toBe(1)
      expect(r.out).toContain('ECONNREFUSED')
    }
  }, 60_000)
})
