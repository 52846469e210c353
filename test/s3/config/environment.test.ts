/**
 * keyhold-s3's environment (src/s3/config/environment.ts): every variable's default, valid and invalid values,
 * what a misconfiguration (or someone probing) tries first, the frozen result, that no secret shows, and a guard
 * that no other server module reads the environment.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { readS3Environment, type S3Environment } from '../../../src/s3/config/environment.js'
import { KmsConfigError } from '../../../src/s3/config/kms-environment.js'

const ROOT = { MINIO_ROOT_USER: 'admin', MINIO_ROOT_PASSWORD: 'a-strong-secret-42' }
const KES = { MINIO_KMS_KES_ENDPOINT: 'https://kes:7373', MINIO_KMS_KES_KEY_NAME: 'minio-default' }
const API_KEY = 'kes:v1:ACBpIgBcIfOM9Bgf6Ln05Jl3scdXUSM8P0v1Adw1lj3x'

/** read reads `vars` over strong root credentials. */
function read(vars: NodeJS.ProcessEnv, opts?: { dev?: boolean }): S3Environment {
  return readS3Environment({ ...ROOT, ...vars }, opts)
}

/** problem is the message readS3Environment throws for `env` (the test fails when it throws none). */
function problem(env: NodeJS.ProcessEnv, opts?: { dev?: boolean }): string {
  try {
    readS3Environment(env, opts)
  } catch (err) {
    expect(err).toBeInstanceOf(Error)
    return (err as Error).message
  }
  throw new Error(`no error for ${JSON.stringify(env)}`)
}

describe('readS3Environment: defaults', () => {
  it('with only the root credentials set, every default', () => {
    expect({ ...read({}) }).toEqual({
      rootUser: 'admin', rootPassword: 'a-strong-secret-42', dev: false, domain: undefined, region: undefined,
      certPassword: undefined, tryIt: true, shutdownGraceMs: 30_000, publicMetrics: false, accessLog: undefined,
      certsPollMs: 60_000, staleUploadsMs: 86_400_000, corsAllowOrigins: undefined, kms: undefined,
    })
  })

  it('does not change the environment it reads, and reads it the same twice', () => {
    const env = { ...ROOT, MINIO_SHUTDOWN_TIMEOUT: ' 2m ' }
    const copy = { ...env }
    expect({ ...readS3Environment(env) }).toEqual({ ...readS3Environment(env) })
    expect(env).toEqual(copy)
  })
})

describe('MINIO_ROOT_USER, MINIO_ROOT_PASSWORD and development mode', () => {
  it('needs both, non-empty, unless in development mode', () => {
    const unset = 'MINIO_ROOT_USER and MINIO_ROOT_PASSWORD must be set (or use --dev for development defaults)'
    expect(problem({})).toBe(unset)
    expect(problem({ MINIO_ROOT_USER: 'admin' })).toBe(unset)
    expect(problem({ MINIO_ROOT_PASSWORD: 'a-strong-secret-42' })).toBe(unset)
    expect(problem({ MINIO_ROOT_USER: '', MINIO_ROOT_PASSWORD: '' })).toBe(unset)
  })

  it('refuses short and well-known credentials, never repeating the password', () => {
    const cases: Array<[NodeJS.ProcessEnv, string]> = [
      [{ MINIO_ROOT_USER: 'ab', MINIO_ROOT_PASSWORD: 'Zq9-long-enough' }, 'MINIO_ROOT_USER must be at least 3 characters long'],
      [{ MINIO_ROOT_USER: 'admin', MINIO_ROOT_PASSWORD: 'Zq9!x' }, 'MINIO_ROOT_PASSWORD must be at least 8 characters long'],
      [{ MINIO_ROOT_USER: 'admin', MINIO_ROOT_PASSWORD: 'minioadmin' }, 'MINIO_ROOT_PASSWORD is a well-known or trivial value; choose a strong secret'],
      [{ MINIO_ROOT_USER: 'admin', MINIO_ROOT_PASSWORD: 'changeme' }, 'MINIO_ROOT_PASSWORD is a well-known or trivial value; choose a strong secret'],
      [{ MINIO_ROOT_USER: 'same-as-pw', MINIO_ROOT_PASSWORD: 'same-as-pw' }, 'MINIO_ROOT_PASSWORD is a well-known or trivial value; choose a strong secret'],
    ]
    for (const [env, message] of cases) {
      const said = problem(env)
      expect(said).toBe(message)
      expect(said).not.toContain(env.MINIO_ROOT_PASSWORD)
    }
  })

  it('development mode (--dev or KEYHOLD_S3_DEV=1 exactly) allows the defaults', () => {
    expect(readS3Environment({}, { dev: true })).toMatchObject({ rootUser: 'minioadmin', rootPassword: 'minioadmin', dev: true })
    expect(readS3Environment({ KEYHOLD_S3_DEV: '1' })).toMatchObject({ rootUser: 'minioadmin', rootPassword: 'minioadmin', dev: true })
    expect(readS3Environment({ KEYHOLD_S3_DEV: '1', MINIO_ROOT_USER: 'me', MINIO_ROOT_PASSWORD: 'x' })).toMatchObject({ rootUser: 'me', rootPassword: 'x' })
    // Anything but '1' is not development mode: weak defaults must not slip in through a near miss.
    for (const value of ['', ' 1', 'true', 'yes', '0', 'on']) {
      expect(problem({ KEYHOLD_S3_DEV: value })).toMatch(/^MINIO_ROOT_USER and MINIO_ROOT_PASSWORD must be set/)
    }
    expect(read({ KEYHOLD_S3_DEV: '0' }).dev).toBe(false)
  })
})

describe('MINIO_DOMAIN, MINIO_REGION / MINIO_SITE_REGION, MINIO_CERT_PASSWD, KEYHOLD_S3_TRY_IT, KEYHOLD_S3_ACCESS_LOG', () => {
  it('MINIO_DOMAIN: undefined when unset or empty', () => {
    expect(read({ MINIO_DOMAIN: 'example.com' }).domain).toBe('example.com')
    expect(read({ MINIO_DOMAIN: '' }).domain).toBeUndefined()
  })

  it('MINIO_REGION wins over MINIO_SITE_REGION, even when empty (as `??` always did)', () => {
    expect(read({ MINIO_REGION: 'eu-west-1' }).region).toBe('eu-west-1')
    expect(read({ MINIO_SITE_REGION: 'us-east-2' }).region).toBe('us-east-2')
    expect(read({ MINIO_REGION: 'eu-west-1', MINIO_SITE_REGION: 'us-east-2' }).region).toBe('eu-west-1')
    expect(read({ MINIO_REGION: '', MINIO_SITE_REGION: 'us-east-2' }).region).toBe('')
  })

  it('MINIO_CERT_PASSWD: undefined when unset or empty', () => {
    expect(read({ MINIO_CERT_PASSWD: 'pem-pass-phrase' }).certPassword).toBe('pem-pass-phrase')
    expect(read({ MINIO_CERT_PASSWD: '' }).certPassword).toBeUndefined()
  })

  it('KEYHOLD_S3_TRY_IT: only `off` turns the lines off', () => {
    expect(read({ KEYHOLD_S3_TRY_IT: 'off' }).tryIt).toBe(false)
    for (const value of ['', 'on', 'OFF', '0']) expect(read({ KEYHOLD_S3_TRY_IT: value }).tryIt).toBe(true)
  })

  it('KEYHOLD_S3_ACCESS_LOG: stdout or a path, trimmed; unset, blank or off is no log', () => {
    expect(read({ KEYHOLD_S3_ACCESS_LOG: ' stdout ' }).accessLog).toBe('stdout')
    expect(read({ KEYHOLD_S3_ACCESS_LOG: '/var/log/keyhold-s3/access.log' }).accessLog).toBe('/var/log/keyhold-s3/access.log')
    for (const value of ['', '   ', 'off']) expect(read({ KEYHOLD_S3_ACCESS_LOG: value }).accessLog).toBeUndefined()
  })

  it('MINIO_PROMETHEUS_AUTH_TYPE: only `public` (any case) opens the metrics; anything else keeps the token', () => {
    expect(read({ MINIO_PROMETHEUS_AUTH_TYPE: 'public' }).publicMetrics).toBe(true)
    expect(read({ MINIO_PROMETHEUS_AUTH_TYPE: 'PUBLIC' }).publicMetrics).toBe(true)
    for (const value of ['', 'jwt', ' public', 'public ', 'none', 'off']) expect(read({ MINIO_PROMETHEUS_AUTH_TYPE: value }).publicMetrics).toBe(false)
  })
})

describe('the durations: MINIO_SHUTDOWN_TIMEOUT and KEYHOLD_S3_CERTS_POLL', () => {
  it('MINIO_SHUTDOWN_TIMEOUT: a Go duration or 0, trimmed; 30 s when unset or blank', () => {
    expect(read({ MINIO_SHUTDOWN_TIMEOUT: '' }).shutdownGraceMs).toBe(30_000)
    expect(read({ MINIO_SHUTDOWN_TIMEOUT: '  ' }).shutdownGraceMs).toBe(30_000)
    expect(read({ MINIO_SHUTDOWN_TIMEOUT: '500ms' }).shutdownGraceMs).toBe(500)
    expect(read({ MINIO_SHUTDOWN_TIMEOUT: ' 2m ' }).shutdownGraceMs).toBe(120_000)
    expect(read({ MINIO_SHUTDOWN_TIMEOUT: '1m30s' }).shutdownGraceMs).toBe(90_000)
    expect(read({ MINIO_SHUTDOWN_TIMEOUT: '0' }).shutdownGraceMs).toBe(0)
    for (const bad of ['soon', '-1s', '30', 'NaN', 'Infinity', '1e3s', '0x10s', '5 m', '--5s']) {
      expect(problem({ ...ROOT, MINIO_SHUTDOWN_TIMEOUT: bad })).toBe(`invalid MINIO_SHUTDOWN_TIMEOUT '${bad}': use e.g. 30s, 500ms or 0`)
    }
  })

  it('KEYHOLD_S3_CERTS_POLL: a positive duration, 0 or off; 60 s when unset or blank', () => {
    expect(read({ KEYHOLD_S3_CERTS_POLL: '' }).certsPollMs).toBe(60_000)
    expect(read({ KEYHOLD_S3_CERTS_POLL: '\t' }).certsPollMs).toBe(60_000)
    expect(read({ KEYHOLD_S3_CERTS_POLL: '500ms' }).certsPollMs).toBe(500)
    expect(read({ KEYHOLD_S3_CERTS_POLL: '5m' }).certsPollMs).toBe(300_000)
    expect(read({ KEYHOLD_S3_CERTS_POLL: 'off' }).certsPollMs).toBe(0)
    expect(read({ KEYHOLD_S3_CERTS_POLL: '0' }).certsPollMs).toBe(0)
    // 0s or a duration rounding to 0 ms would poll without pause: refused, as before.
    for (const bad of ['soon', '0s', '0.1ms', '-5m', 'NaN', 'OFF', '60']) {
      expect(problem({ ...ROOT, KEYHOLD_S3_CERTS_POLL: bad })).toBe(`invalid KEYHOLD_S3_CERTS_POLL '${bad}': use e.g. 60s, 500ms or off`)
    }
  })

  it('MINIO_API_STALE_UPLOADS_EXPIRY: a positive duration, 0 or off; 24 h when unset or blank', () => {
    expect(read({ MINIO_API_STALE_UPLOADS_EXPIRY: '' }).staleUploadsMs).toBe(86_400_000)
    expect(read({ MINIO_API_STALE_UPLOADS_EXPIRY: '30m' }).staleUploadsMs).toBe(1_800_000)
    expect(read({ MINIO_API_STALE_UPLOADS_EXPIRY: 'off' }).staleUploadsMs).toBe(0)
    for (const bad of ['soon', '0s', '-5m', '24']) {
      expect(problem({ ...ROOT, MINIO_API_STALE_UPLOADS_EXPIRY: bad })).toBe(`invalid MINIO_API_STALE_UPLOADS_EXPIRY '${bad}': use e.g. 24h, 30m or off`)
    }
  })

  it('refuses durations longer than Node\'s longest timer (which would fire after 1 ms instead)', () => {
    expect(read({ KEYHOLD_S3_CERTS_POLL: '596h' }).certsPollMs).toBe(596 * 3_600_000)
    expect(problem({ ...ROOT, KEYHOLD_S3_CERTS_POLL: '597h' })).toBe("invalid KEYHOLD_S3_CERTS_POLL '597h': at most 596h (Node's longest timer)")
    expect(problem({ ...ROOT, MINIO_SHUTDOWN_TIMEOUT: '99999999999h' })).toBe("invalid MINIO_SHUTDOWN_TIMEOUT '99999999999h': at most 596h (Node's longest timer)")
  })

  it('keeps the message one short printable line whatever the value holds', () => {
    const said = problem({ ...ROOT, MINIO_SHUTDOWN_TIMEOUT: '5s\n{"level":"info","msg":"forged"}\u001b[2J' })
    expect(said).toBe('invalid MINIO_SHUTDOWN_TIMEOUT \'5s?{"level":"info","msg":"forged"}?[2J\': use e.g. 30s, 500ms or 0')
    const long = problem({ ...ROOT, KEYHOLD_S3_CERTS_POLL: 'x'.repeat(10_000) })
    expect(long).toBe(`invalid KEYHOLD_S3_CERTS_POLL '${'x'.repeat(64)}...': use e.g. 60s, 500ms or off`)
  })
})

describe('MINIO_KMS_*', () => {
  it('no KMS variables: no KMS', () => {
    expect(read({}).kms).toBeUndefined()
  })

  it('an API key configuration', () => {
    const kms = read({ ...KES, MINIO_KMS_KES_API_KEY: API_KEY, MINIO_KMS_AUTO_ENCRYPTION: 'ON' }).kms!
    expect({ ...kms, endpoints: [...kms.endpoints] }).toEqual({
      endpoint: 'https://kes:7373', endpoints: ['https://kes:7373'], defaultKey: 'minio-default', apiKey: API_KEY,
      caPath: undefined, autoEncryption: true,
    })
  })

  it('a client certificate configuration, endpoints expanded, the given text kept for the banner', () => {
    const kms = read({
      ...KES, MINIO_KMS_KES_ENDPOINT: 'https://kes{1...3}:7373, https://b:7373', MINIO_KMS_KES_CERT_FILE: '/c.crt',
      MINIO_KMS_KES_KEY_FILE: '/c.key', MINIO_KMS_KES_KEY_PASSWORD: 'key-pass-9', MINIO_KMS_KES_CAPATH: '/cas',
    }).kms!
    expect(kms).toMatchObject({
      endpoint: 'https://kes{1...3}:7373, https://b:7373', certFile: '/c.crt', keyFile: '/c.key', keyPassword: 'key-pass-9',
      caPath: '/cas', autoEncryption: false,
    })
    expect(kms.endpoints).toEqual(['https://kes1:7373', 'https://kes2:7373', 'https://kes3:7373', 'https://b:7373'])
    expect(kms.apiKey).toBeUndefined()
  })

  it('incomplete, conflicting or unsupported: MinIO\'s messages as KmsConfigError, never with the API key', () => {
    const cases: Array<[NodeJS.ProcessEnv, string]> = [
      [{ MINIO_KMS_KES_KEY_NAME: 'k' }, "kms: incomplete configuration for MinIO KES: missing 'MINIO_KMS_KES_ENDPOINT'"],
      [{ MINIO_KMS_KES_ENDPOINT: 'https://a' }, "kms: incomplete configuration for MinIO KES: missing 'MINIO_KMS_KES_KEY_NAME'"],
      [KES, 'kms: incomplete configuration for MinIO KES: missing authentication method'],
      [{ ...KES, MINIO_KMS_KES_CERT_FILE: 'c' }, "kms: incomplete configuration for MinIO KES: missing 'MINIO_KMS_KES_KEY_FILE'"],
      [{ ...KES, MINIO_KMS_KES_KEY_PASSWORD: 'key-pass-9' }, "kms: incomplete configuration for MinIO KES: missing 'MINIO_KMS_KES_CERT_FILE'"],
      [{ ...KES, MINIO_KMS_KES_KEY_FILE: 'k', MINIO_KMS_KES_API_KEY: API_KEY }, "kms: invalid configuration for MinIO KES: 'MINIO_KMS_KES_API_KEY' and client certificate is present"],
      [{ ...KES, MINIO_KMS_SERVER: 'x' }, 'kms: configuration for MinIO KMS and MinIO KES is present'],
      [{ ...KES, MINIO_KMS_KES_API_KEY: API_KEY, MINIO_KMS_SECRET_KEY: 'my-minio-key:OSMM+vkKUTCvQs9YL/CVMIMt43HFhkUpqJxTmGl6rYw=' }, 'kms: configuration for MinIO KES and static KMS key is present'],
      [{ MINIO_KMS_SECRET_KEY: 'my-minio-key:OSMM+vkKUTCvQs9YL/CVMIMt43HFhkUpqJxTmGl6rYw=' }, 'kms: only MinIO KES (MINIO_KMS_KES_*) is supported by keyhold-s3'],
      [{ MINIO_KMS_AUTO_ENCRYPTION: 'on' }, 'Invalid KMS configuration: auto-encryption is enabled but no valid KMS configuration is present'],
      [{ ...KES, MINIO_KMS_KES_ENDPOINT: ' , ', MINIO_KMS_KES_API_KEY: API_KEY }, 'kms: no KES server endpoint provided'],
      [{ ...KES, MINIO_KMS_KES_ENDPOINT: '', MINIO_KMS_KES_API_KEY: API_KEY }, 'kms: no KES server endpoint provided'],
      [{ ...KES, MINIO_KMS_KES_ENDPOINT: 'https://kes{9...1}', MINIO_KMS_KES_API_KEY: API_KEY }, "kms: invalid endpoint 'https://kes{9...1}': invalid ellipsis range"],
      [{ ...KES, MINIO_KMS_KES_ENDPOINT: 'https://kes{1...99999}', MINIO_KMS_KES_API_KEY: API_KEY }, "kms: invalid endpoint 'https://kes{1...99999}': invalid ellipsis range"],
      [{ ...KES, MINIO_KMS_KES_ENDPOINT: 'https://{1...1000}{1...1000}{1...1000}', MINIO_KMS_KES_API_KEY: API_KEY }, "kms: invalid endpoint 'https://{1...1000}{1...1000}{1...1000}': invalid ellipsis range"],
    ]
    for (const [vars, message] of cases) {
      let thrown: unknown
      try {
        read(vars)
      } catch (err) {
        thrown = err
      }
      expect(thrown).toBeInstanceOf(KmsConfigError)
      expect((thrown as Error).message).toBe(message)
      expect((thrown as Error).message).not.toMatch(/ACBpIgBc|OSMM|key-pass-9/)
    }
  })

  it('expands nested ellipses up to 1025 endpoints in all', () => {
    expect(read({ ...KES, MINIO_KMS_KES_ENDPOINT: 'https://kes{1...2}-{01...03}:7373', MINIO_KMS_KES_API_KEY: API_KEY }).kms?.endpoints)
      .toEqual(['https://kes1-01:7373', 'https://kes1-02:7373', 'https://kes1-03:7373', 'https://kes2-01:7373', 'https://kes2-02:7373', 'https://kes2-03:7373'])
    expect(read({ ...KES, MINIO_KMS_KES_ENDPOINT: 'https://kes{0...1024}', MINIO_KMS_KES_API_KEY: API_KEY }).kms?.endpoints).toHaveLength(1025)
  })

  it('an empty variable counts as set (as in MinIO): an empty API key is a configuration, not a missing one', () => {
    expect(read({ ...KES, MINIO_KMS_KES_API_KEY: '' }).kms?.apiKey).toBe('')
  })
})

describe('the result', () => {
  const env = read({
    ...KES, MINIO_KMS_KES_API_KEY: API_KEY, MINIO_CERT_PASSWD: 'pem-pass-phrase', MINIO_DOMAIN: 'example.com',
  })

  it('is deeply frozen: assignments throw (test modules are strict)', () => {
    expect(Object.isFrozen(env) && Object.isFrozen(env.kms) && Object.isFrozen(env.kms?.endpoints)).toBe(true)
    expect(() => {
      (env as { rootPassword: string }).rootPassword = 'x'
    }).toThrow(TypeError)
    expect(() => {
      (env.kms as { defaultKey: string }).defaultKey = 'attacker-key'
    }).toThrow(TypeError)
    expect(() => (env.kms!.endpoints as string[]).push('https://evil')).toThrow(TypeError)
    expect(() => delete (env as { domain?: string }).domain).toThrow(TypeError)
  })

  it('shows no secret when logged by mistake (JSON, inspect, template)', () => {
    const shown = [JSON.stringify(env), inspect(env, { depth: 5 }), JSON.stringify({ env })]
    expect(inspect(env.kms)).toContain("apiKey: '[redacted]'")
    for (const text of shown) {
      expect(text).not.toContain('a-strong-secret-42')
      expect(text).not.toContain(API_KEY)
      expect(text).not.toContain('pem-pass-phrase')
      expect(text).toContain('[redacted]')
      expect(text).toContain('example.com')
    }
    expect(JSON.parse(JSON.stringify(env))).toMatchObject({ rootUser: 'admin', rootPassword: '[redacted]', kms: { apiKey: '[redacted]', defaultKey: 'minio-default' } })
  })
})

/**
 * Modules outside the server that may read the environment, each with the reason. Everything else in src/s3 and
 * src/cli/keyhold-s3 takes its settings from the S3Environment the server command hands it.
 */
const MAY_READ_ENV: Record<string, string> = {
  'src/s3/config/environment.ts': 'the one place keyhold-s3 reads its environment',
  'src/s3/config/kms-environment.ts': 'its MINIO_KMS_* part',
  'src/cli/keyhold-s3/main.ts': 'the executable hands process.env to the subcommand it runs (the server passes it to readS3Environment)',
  'src/cli/keyhold-s3/alias.ts': "client side: the client commands' config dir (KEYHOLD_S3_CONFIG_DIR, HOME), not the server's",
}

/** Reads of the environment: process.env, env.MINIO_* / env.KEYHOLD_S3_* (also env?.X, env['X'], env[name]), destructuring. */
const READS = [
  /process\s*\.\s*env/,
  /\benv\s*(\?\.|\.)\s*(MINIO_|KEYHOLD_S3_)/,
  /\benv\s*(\?\.)?\s*\[/,
  /\}\s*=\s*(\w+\s*\.\s*)?env\b/,
]

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : []
  })
}

/** withoutComments drops block and line comments (not inside strings: good enough for these sources). */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1')
}

describe('the guard: no other keyhold-s3 module reads the environment', () => {
  const root = join(import.meta.dirname, '..', '..', '..')
  const files = [...sources(join(root, 'src', 's3')), ...sources(join(root, 'src', 'cli', 'keyhold-s3'))]

  it('finds the sources it guards', () => {
    expect(files.length).toBeGreaterThan(100)
    for (const allowed of Object.keys(MAY_READ_ENV)) expect(files.map((f) => relative(root, f))).toContain(allowed)
  })

  it('only the allow-listed modules read process.env or MINIO_* / KEYHOLD_S3_* variables', () => {
    const offenders: string[] = []
    for (const file of files) {
      const name = relative(root, file).split('\\').join('/')
      if (name in MAY_READ_ENV) continue
      const code = withoutComments(readFileSync(file, 'utf8'))
      code.split('\n').forEach((line, i) => {
        if (READS.some((re) => re.test(line))) offenders.push(`${name}:${i + 1}: ${line.trim()}`)
      })
    }
    expect(offenders).toEqual([])
  })

  it('would catch the reads it is meant to', () => {
    const caught = (line: string) => READS.some((re) => re.test(line))
    expect(caught('const p = process.env.MINIO_CERT_PASSWD')).toBe(true)
    expect(caught("const t = (env.KEYHOLD_S3_CERTS_POLL ?? '').trim()")).toBe(true)
    expect(caught('return names.map((n) => this.env[n])')).toBe(true)
    expect(caught('const { MINIO_ROOT_USER } = io.env')).toBe(true)
    expect(caught('const x = env?.MINIO_DOMAIN')).toBe(true)
    expect(caught('const env: Envelope = { k: dk.keyId }; env.k')).toBe(false)
  })
})
