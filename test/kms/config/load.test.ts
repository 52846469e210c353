/**
 * Config loading: every field, `${VAR}` whole-value substitution, policy files, and the
 * `kesconf:` errors, each naming the field and its line.
 */
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { createPrivateKey } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { beforeAll, describe, expect, it } from 'vitest'
import { loadConfigFile, loadPolicyFile, parseConfig } from '../../../src/kms/config/load.js'
import { parseDuration } from '../../../src/lib/duration.js'
import { testPki, type TestPki } from '../../helpers/pki.js'

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/config')
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..')
// Top-level await: the it.each tables below need the PKI's file names at collection time.
const pki: TestPki = await testPki()
let env: NodeJS.ProcessEnv

beforeAll(() => {
  env = {
    ADMIN_IDENTITY: pki.clients.admin.identity, APP_IDENTITY: pki.clients.app.identity,
    TLS_KEY: pki.server.keyFile, TLS_CERT: pki.server.certFile, TLS_CA: pki.ca.certFile, SKIP_METRICS: 'true',
  }
})

/** A minimal valid config with `extra` appended (or replacing the keystore). */
const base = (extra = '', keystore = 'keystore:\n  memory: {}') =>
  `admin:\n  identity: ${pki.clients.admin.identity}\ntls:\n  key: ${pki.server.keyFile}\n  cert: ${pki.server.certFile}\n${keystore}\n${extra}`

const fail = (text: string, e: NodeJS.ProcessEnv = {}) => {
  try {
    parseConfig(text, '/etc/keyhold/config.yml', e)
  } catch (err) {
    return (err as Error).message
  }
  throw new Error('config was accepted')
}

describe('loadConfigFile', () => {
  it('reads every field of the full fixture', () => {
    const c = loadConfigFile(join(FIXTURES, 'full.yml'), env)
    expect(c.address).toBe('127.0.0.1:0')
    expect(c.admin).toBe(pki.clients.admin.identity)
    expect(c.tls).toMatchObject({ verifyClients: false, keyPem: pki.server.keyPem, certPem: pki.server.certPem, caPem: pki.ca.certPem })
    expect(c.api).toEqual({ '/v1/status': { skipAuth: true, timeoutMs: 20_000 }, '/v1/metrics': { skipAuth: true, timeoutMs: undefined } })
    expect(c.cache).toEqual({ anyMs: 300_000, unusedMs: 20_000, offlineMs: 5_400_000 })
    expect(c.log).toEqual({ error: 'info', audit: 'silent' })
    expect(c.keys).toEqual(['minio-default-key', 'other-key'])
    expect(c.keystore).toEqual({ kind: 'fs', path: join(FIXTURES, 'keys') })
    // Patterns are literal: `${…}` inside allow/deny is not substituted (KES).
    expect(c.policies.minio).toEqual({ allow: ['/v1/key/generate/*', '/v1/key/decrypt/*'], deny: ['/v1/key/generate/${NOT_SUBSTITUTED}'], identities: [pki.clients.app.identity] })
    expect(Object.isFrozen(c.tls)).toBe(true)
  })

  it('reads policies from policy_file, relative to the config', () => {
    const c = loadConfigFile(join(FIXTURES, 'with-policy-file.yml'), env)
    expect(c.policyFile).toBe(join(FIXTURES, 'policies.yml'))
    expect(c.policies).toEqual({ app: { allow: ['/v1/key/create/app-*'], deny: [], identities: [pki.clients.app.identity] } })
    expect(c.keystore).toEqual({ kind: 'memory' })
  })

  it('applies defaults', () => {
    const c = parseConfig(base(), '/x/config.yml', {})
    expect(c.address).toBe('0.0.0.0:7373')
    expect(c.cache).toEqual({ anyMs: 300_000, unusedMs: 30_000, offlineMs: 0 })
    expect(c.log).toEqual({ error: 'info', audit: 'info' })
    expect(c.tls.verifyClients).toBe(false)
    expect(parseConfig(base('address: "[::1]:7373"'), '/x/c.yml', {}).address).toBe('[::1]:7373')
    expect(parseConfig(base('address: :7373'), '/x/c.yml', {}).address).toBe(':7373')
  })

  it('names a missing file, or a directory given for one, in words rather than an errno', () => {
    expect(() => loadConfigFile('/nonexistent/config.yml')).toThrow("kesconf: config file '/nonexistent/config.yml' not found")
    const dir = mkdtempSync(join(tmpdir(), 'keyhold-conf-'))
    expect(() => loadConfigFile(dir)).toThrow(`kesconf: config file '${dir}' is a directory, not a file`)
  })
})

describe('kesconf errors', () => {
  it.each([
    [`admin:\n  identity: \${NOPE}\n`, "kesconf: /etc/keyhold/config.yml:2: referenced env. variable 'NOPE' in line '2' not found"],
    ['admin: [\n', 'invalid YAML'],
    ['admin:\n  identity: x\n', 'kesconf: /etc/keyhold/config.yml:1: tls: missing required field'],
  ])('%j → %s', (text, message) => {
    expect(fail(text)).toContain(message)
  })

  it('shows the offending YAML line with a caret under the column, not a dangling colon', () => {
    expect(fail('address: 1\n  admin: x\n')).toBe(
      'kesconf: /etc/keyhold/config.yml:1:10: invalid YAML: Nested mappings are not allowed in compact mappings\n' +
        '    address: 1\n' +
        '             ^',
    )
  })

  it('refuses a policy named __proto__ (it would vanish silently) and an alias bomb, naming the file', () => {
    expect(fail(base('policy:\n  app:\n    allow: [/v1/status]\n  __proto__:\n    allow: [/v1/status]\n'))).toBe(
      "kesconf: /etc/keyhold/config.yml:11: '__proto__' cannot be used as a name",
    )
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => {
      const prev = String.fromCharCode(97 + i)
      const next = String.fromCharCode(98 + i)
      return `${next}: &${next} [${Array(10).fill(`*${prev}`).join(', ')}]`
    })].join('\n')
    expect(fail(base(bomb))).toMatch(/^kesconf: \/etc\/keyhold\/config\.yml: invalid YAML: /)
  })

  it('never quotes an invalid identity taken from the environment (it may be a secret of the server)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyhold-policy-'))
    writeFileSync(join(dir, 'policy.yml'), 'policy:\n  monitor:\n    allow: [/v1/status]\n    identities:\n      - ${VAULT_TOKEN}\n')
    const secret = 'hvs.CAESIJ/not-a-name+secret'
    let message = ''
    try {
      parseConfig(base(`policy_file: ${join(dir, 'policy.yml')}`), '/x/c.yml', { ...env, VAULT_TOKEN: secret })
    } catch (err) {
      message = (err as Error).message
    }
    expect(message).toBe("kesconf: policy 'monitor': identity 1 is not a valid identity")
    expect(message).not.toContain('hvs.')
  })

  it('names the policy file, and the line in it, of an unset ${VAR}', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyhold-policy-'))
    writeFileSync(join(dir, 'policy.yml'), 'policy:\n  app:\n    allow: [/v1/status]\n    identities:\n      - ${APP_ID_UNSET}\n')
    expect(fail(base(`policy_file: ${join(dir, 'policy.yml')}`))).toBe(
      `kesconf: ${join(dir, 'policy.yml')}:5: referenced env. variable 'APP_ID_UNSET' in line '5' not found`,
    )
  })

  it('names the line of an unknown field', () => {
    expect(fail(base('cache:\n  expiry:\n    anyy: 5m'))).toBe("kesconf: /etc/keyhold/config.yml:10: cache.expiry.anyy: unknown field 'anyy'")
  })

  it('names the line of a bad value', () => {
    expect(fail(base('cache:\n  expiry:\n    any: 5 minutes'))).toBe("kesconf: /etc/keyhold/config.yml:10: cache.expiry.any: invalid duration '5 minutes' (use e.g. 30s, 5m, 1h)")
    expect(fail(base('log:\n  error: loud'))).toContain("config.yml:9: log.error: invalid log level 'loud'")
    expect(fail(base('version: v2'))).toContain('config.yml:8: version:')
    expect(fail(base('api:\n  /v1/status:\n    skip_auth: maybe'))).toBe("kesconf: /etc/keyhold/config.yml:10: api./v1/status.skip_auth: invalid boolean 'maybe' (use true or false)")
    expect(fail(base('api:\n  /v1/status:\n    skip_auth: constructor'))).toBe("kesconf: /etc/keyhold/config.yml:10: api./v1/status.skip_auth: invalid boolean 'constructor' (use true or false)")
  })

  it.each([
    [base().replace(pki.clients.admin.identity, '""'), 'kesconf: invalid admin identity: no admin identity'],
    [base('', 'keystore: {}'), 'kesconf: no keystore specified'],
    [base('', 'keystore:\n  memory: {}\n  fs:\n    path: /tmp/x'), 'kesconf: more than one keystore specified: fs, memory'],
    [base('keys:\n  - name: a\n  - name: a'), "kesconf: key 'a' is defined multiple times"],
    [base('keys:\n  - name: a/b'), "kesconf: invalid key name 'a/b'"],
    [base().replace(`cert: ${'${'}`, 'x') + 'tls2: 1', "unknown field 'tls2'"],
    [base('policy_file: p.yml\npolicy: {}'), "kesconf: 'policy' and 'policy_file' are mutually exclusive"],
    [base('policy_file: /nonexistent/p.yml'), "kesconf: policy file '/nonexistent/p.yml' not found"],
    [base(`policy:\n  p:\n    identities: [${'a'.repeat(64)}]\n  q:\n    identities: [${'a'.repeat(64)}]`), 'identity already has policy'],
    [base(`policy:\n  p:\n    identities: [ADMIN]`).replace('[ADMIN]', `[${'f'.repeat(64)}]`).replace(/identity: [0-9a-f]{64}/, `identity: ${'f'.repeat(64)}`), 'is already admin'],
    [base('address: localhost:7373'), "kesconf: invalid address 'localhost:7373': want IP:PORT"],
    [base('address: 127.0.0.1'), "kesconf: invalid address '127.0.0.1'"],
    [base('address: 127.0.0.1:99999'), "kesconf: invalid address '127.0.0.1:99999'"],
    [base('api:\n  /v1/status:\n    timeout: 0s'), "kesconf: invalid api config: timeout of '/v1/status' must be positive"],
  ])('refuses invalid config %#', (text, message) => {
    expect(fail(text)).toContain(message)
  })

  it('explains legacy KES settings and unsupported keystores', () => {
    expect(fail(base().replace(/admin:\n {2}identity: .*/, `root: ${'a'.repeat(64)}`))).toBe(
      "kesconf: /etc/keyhold/config.yml:1: 'root' was renamed to 'admin.identity' (KES v0.16): write 'admin:\\n  identity: <id>'",
    )
    expect(fail(base('policy:\n  p:\n    paths: [/v1/status]'))).toBe("kesconf: /etc/keyhold/config.yml:10: policy.p.paths is the KES v0.14 form: rename it to 'allow'")
    expect(fail(base('', 'keystore:\n  aws:\n    secretsmanager: {}'))).toBe(
      "kesconf: /etc/keyhold/config.yml:7: the 'aws' keystore is not supported by Keyhold (supported: fs, vault, etcd, memory)",
    )
  })

  it('checks TLS settings', () => {
    const withAuth = (v: string) => base().replace('tls:\n', `tls:\n  auth: ${v}\n`)
    expect(fail(withAuth('maybe'))).toBe("kesconf: invalid tls config: invalid auth 'maybe'")
    // As in KES, an empty tls.ca with auth on means the system's roots.
    for (const text of [withAuth('on'), withAuth('on').replace('tls:\n', 'tls:\n  ca: ""\n')]) {
      const { tls } = parseConfig(text, '/x/c.yml', {})
      expect([tls.verifyClients, tls.caPem]).toEqual([true, undefined])
    }
    expect(fail(base().replace(pki.server.keyFile, '/nonexistent.key'))).toBe("kesconf: invalid tls config: cannot read private key '/nonexistent.key': ENOENT")
    expect(fail(base().replace(pki.server.keyFile, pki.server.certFile))).toContain('cannot parse private key')
    expect(fail(base().replace(pki.server.certFile, pki.clients.app.certFile).replace(pki.server.keyFile, pki.clients.app.keyFile))).toContain('has no DNS or IP subject alternative name')
    expect(fail(base().replace(pki.server.keyFile, pki.clients.app.keyFile))).toBe(
      `kesconf: invalid tls config: private key '${pki.clients.app.keyFile}' does not match certificate '${pki.server.certFile}'`,
    )
  })
})

describe('tls.password', () => {
  it('decrypts an encrypted PEM key, and names the file on a wrong password', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyhold-pw-'))
    const encrypted = createPrivateKey(pki.server.keyPem).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pa55' })
    writeFileSync(join(dir, 'server.key'), encrypted)
    const text = (pw: string) => base().replace(pki.server.keyFile, join(dir, 'server.key')).replace('tls:\n', `tls:\n  password: ${pw}\n`)
    const c = parseConfig(text('pa55'), join(dir, 'config.yml'), {})
    expect(c.tls.password).toBe('pa55')
    expect(fail(text('wrong'))).toBe(`kesconf: invalid tls config: cannot parse private key '${join(dir, 'server.key')}' (wrong or missing password?)`)
    expect(fail(text('wrong'))).not.toContain('wrong\'')
  })
})

describe('policy files', () => {
  it('loads the top-level example policy.yml with MinIO’s endpoints', () => {
    const p = loadPolicyFile(join(ROOT, 'policy.yml'), { MINIO_KMS_IDENTITY: pki.clients.app.identity })
    expect(p.minio?.identities).toEqual([pki.clients.app.identity])
    expect(p.minio?.allow).toEqual(expect.arrayContaining(['/v1/key/create/*', '/v1/key/generate/*', '/v1/key/decrypt/*', '/v1/key/list/*', '/v1/key/describe/*', '/v1/status']))
  })

  it('names the line of a bad policy', () => {
    const file = join(FIXTURES, 'bad-policy.yml')
    expect(() => loadPolicyFile(file, {})).toThrow(`kesconf: ${file}:3: policy.app.allow: expected array`)
  })
})

describe('log levels', () => {
  it.each([['on', 'info'], ['off', 'silent'], ['DEBUG', 'debug'], ['warn', 'warn'], ['INFO+2', 'warn'], ['ERROR+1', 'silent'], ['-4', 'debug'], ['8', 'error'], ['true', 'info']])('%s → %s', (v, want) => {
    expect(parseConfig(base(`log:\n  error: "${v}"`), '/x/c.yml', {}).log.error).toBe(want)
  })
})

describe('parseDuration', () => {
  it.each([['0', 0], ['30s', 30_000], ['5m', 300_000], ['1h30m', 5_400_000], ['250ms', 250], ['1.5s', 1500], ['', undefined], ['5', undefined], ['-1s', undefined], ['5 m', undefined]])('%s → %s', (s, ms) => {
    expect(parseDuration(s)).toBe(ms)
  })
})
