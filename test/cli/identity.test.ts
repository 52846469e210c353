import { X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { apiKeyIdentity, identityOfCertificate, privateKeyFromPem } from '../../src/pki/index.js'
import { testPki } from '../helpers/pki.js'
import { cli } from './run.js'

const dir = mkdtempSync(join(tmpdir(), 'keyhold-cli-identity-'))

describe('keyhold identity new', () => {
  it('prints a new API key and its identity (JSON when piped)', async () => {
    const r = await cli(['identity', 'new'])
    expect(r.code).toBe(0)
    const { api_key, identity } = JSON.parse(r.stdout) as { api_key: string; identity: string }
    expect(api_key).toMatch(/^kes:v1:[A-Za-z0-9+/]{44}$/)
    expect(apiKeyIdentity(api_key)).toBe(identity)
  })

  it('explains the API key on a terminal', async () => {
    const r = await cli(['identity', 'new'], {}, { tty: true })
    expect(r.stdout).toContain('Your API key:')
    expect(r.stdout).toContain('This is the only time it is shown.')
    const key = /kes:v1:\S+/.exec(r.stdout)![0]
    expect(r.stdout).toContain(apiKeyIdentity(key))
  })

  it('writes an ECDSA P-256 key (0600) and a certificate with the SANs asked for', async () => {
    const key = join(dir, 'server.key')
    const cert = join(dir, 'server.crt')
    const r = await cli(['identity', 'new', '--key', key, '--cert', cert, '--ip', '127.0.0.1', '--dns', 'localhost', '--expiry', '48h', 'my-server'])
    expect(r.code).toBe(0)
    const { identity } = JSON.parse(r.stdout) as { identity: string }
    expect(statSync(key).mode & 0o777).toBe(0o600)
    const x509 = new X509Certificate(readFileSync(cert))
    expect(identityOfCertificate(x509)).toBe(identity)
    expect(x509.subject).toBe('CN=my-server')
    expect(x509.subjectAltName).toContain('DNS:localhost')
    expect(x509.subjectAltName).toContain('IP Address:127.0.0.1')
    expect(privateKeyFromPem(readFileSync(key)).privateKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1')
    const shown = await cli(['identity', 'new', '--key', join(dir, 't.key'), '--cert', join(dir, 't.crt')], {}, { tty: true })
    expect(shown.stdout).toContain(`The certificate is stored at: ${join(dir, 't.crt')}`)
    expect(shown.stdout).toContain(`Your identity:\n\n   ${identityOfCertificate(readFileSync(join(dir, 't.crt')))}\n`)
    const hours = (Date.parse(x509.validTo) - Date.now()) / 3_600_000
    expect(hours).toBeGreaterThan(47)
    expect(hours).toBeLessThan(49)
  })

  it('refuses to overwrite files without --force, and tightens the mode when it does', async () => {
    const key = join(dir, 'c.key')
    const cert = join(dir, 'c.crt')
    writeFileSync(key, 'old', { mode: 0o644 })
    const refused = await cli(['identity', 'new', '--key', key, '--cert', cert])
    expect(refused).toMatchObject({ code: 1, stderr: 'Error: private key already exists. Use --force to overwrite it\n' })
    expect(readFileSync(key, 'utf8')).toBe('old')
    const forced = await cli(['identity', 'new', '--key', key, '--cert', cert, '-f', '--algorithm', 'ed25519'])
    expect(forced.code).toBe(0)
    expect(statSync(key).mode & 0o777).toBe(0o600)
    expect(privateKeyFromPem(readFileSync(key)).privateKey.asymmetricKeyType).toBe('ed25519')
  })

  it.each([
    [['--key', 'a.key'], "private key file specified but no certificate file. Set the '--cert' flag"],
    [['--ip', '10.0.0.1'], "'--ip' requires a private key and certificate file. Set the '--cert' and '--key' flag"],
    [['--key', 'a', '--cert', 'b', '--ip', 'nope'], "invalid IP address 'nope' for --ip"],
    [['--key', 'a', '--cert', 'b', '--expiry', '10 days'], "invalid duration '10 days' for --expiry: use e.g. 720h, 1h30m or 5s"],
    [['a', 'b'], 'too many arguments'],
    [['--bogus'], "unknown flag '--bogus'"],
  ])('rejects %j', async (args, message) => {
    const r = await cli(['identity', 'new', ...args])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(`Error: ${message}. See 'keyhold identity new --help'\n`)
  })
})

describe('keyhold identity of', () => {
  it('computes the identity of a certificate file and of an API key', async () => {
    const pki = await testPki()
    const r = await cli(['identity', 'of', pki.clients.app.certFile])
    expect(r).toEqual({ code: 0, stdout: pki.clients.app.identity + '\n', stderr: '' })
    // A file with the key before the certificate (a combined PEM) works too.
    const combined = join(dir, 'combined.pem')
    writeFileSync(combined, pki.clients.app.keyPem + pki.clients.app.certPem)
    expect((await cli(['identity', 'of', combined])).stdout).toBe(pki.clients.app.identity + '\n')
    const key = 'kes:v1:ACQpoGqx3rHHjT938Hfu5hVVQJHZWSqVI2Xp1KlYxFVw'
    expect((await cli(['identity', 'of', key, '--json'])).stdout).toBe(JSON.stringify({ identity: apiKeyIdentity(key) }) + '\n')
    expect((await cli(['identity', 'of', key], {}, { tty: true })).stdout).toBe(`Identity:\n\n   ${apiKeyIdentity(key)}\n`)
  })

  it('fails clearly on a missing file, a non-certificate and a bad API key', async () => {
    expect(await cli(['identity', 'of'])).toMatchObject({ code: 2, stderr: "Error: no API key or certificate specified. See 'keyhold identity of --help'\n" })
    expect((await cli(['identity', 'of', join(dir, 'missing.crt')])).stderr).toMatch(/^Error: cannot read '.*missing\.crt': ENOENT/)
    const notCert = join(dir, 'not.crt')
    writeFileSync(notCert, 'hello')
    expect(await cli(['identity', 'of', notCert])).toMatchObject({ code: 1, stderr: `Error: failed to parse certificate in '${notCert}': no PEM certificate found\n` })
    expect(await cli(['identity', 'of', 'kes:v1:AAAA'])).toMatchObject({ code: 1, stderr: 'Error: invalid API key: invalid length\n' })
  })
})
