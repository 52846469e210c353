/**
 * MINIO_API_CORS_ALLOW_ORIGIN (server-wide CORS): unset, every origin for signed requests; a comma-separated list with `*`
 * wildcards, a list separated by spaces refused at start-up, and the setting named in `--help`.
 */
import { describe, expect, it } from 'vitest'
import { serverCommand } from '../../../src/cli/keyhold-s3/server.js'
import { readS3Environment } from '../../../src/s3/config/environment.js'

const ROOT = { MINIO_ROOT_USER: 'admin', MINIO_ROOT_PASSWORD: 'a-strong-secret-42' }

describe('MINIO_API_CORS_ALLOW_ORIGIN', () => {
  it('is the default (every origin, signed requests only) when unset or blank, and `*` when set so', () => {
    expect(readS3Environment(ROOT).corsAllowOrigins).toBeUndefined()
    expect(readS3Environment({ ...ROOT, MINIO_API_CORS_ALLOW_ORIGIN: ' , ' }).corsAllowOrigins).toBeUndefined()
    expect(readS3Environment({ ...ROOT, MINIO_API_CORS_ALLOW_ORIGIN: '*' }).corsAllowOrigins).toEqual(['*'])
  })

  it('reads a comma-separated list, spaces around entries trimmed, and freezes it', () => {
    const env = readS3Environment({ ...ROOT, MINIO_API_CORS_ALLOW_ORIGIN: 'https://app.example, https://*.b.example,' })
    expect(env.corsAllowOrigins).toEqual(['https://app.example', 'https://*.b.example'])
    expect(Object.isFrozen(env.corsAllowOrigins)).toBe(true)
  })

  it('refuses a list separated by spaces (or holding control characters), naming the variable', () => {
    for (const value of ['https://a.example https://b.example', 'https://a.example\u0000']) {
      expect(() => readS3Environment({ ...ROOT, MINIO_API_CORS_ALLOW_ORIGIN: value })).toThrow(/MINIO_API_CORS_ALLOW_ORIGIN.*commas/)
    }
  })

  it('is listed in `keyhold-s3 server --help`', async () => {
    let out = ''
    const code = await serverCommand(['--help'], { env: {}, stdout: (s) => (out += s), stderr: () => {} })
    expect(code).toBe(0)
    expect(out).toContain('MINIO_API_CORS_ALLOW_ORIGIN')
  })
})
