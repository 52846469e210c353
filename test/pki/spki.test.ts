/**
 * spkiOfCertificate cuts the SubjectPublicKeyInfo out of a certificate's DER: the same bytes as
 * node:crypto's export for every key type a client certificate may carry (so identities do not
 * change), and undefined, never a wrong slice or a throw, for anything not certificate-shaped.
 */
import { execFileSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { spkiOfCertificate } from '../../src/pki/spki.js'
import { identityOfCertificate, identityOfPublicKey } from '../../src/pki/identity.js'
import { testPki } from '../helpers/pki.js'

const pki = await testPki()
const dir = mkdtempSync(join(tmpdir(), 'keyhold-spki-'))
/** A certificate made by the openssl CLI (RSA and P-384: key types our own PKI does not issue). */
function opensslCert(newkey: string[], name: string): X509Certificate {
  const pem = execFileSync('openssl', ['req', '-x509', '-newkey', ...newkey, '-nodes', '-keyout', join(dir, `${name}.key`), '-subj', `/CN=${name}`, '-days', '1',
    '-addext', 'basicConstraints=critical,CA:FALSE'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
  return new X509Certificate(pem)
}

describe('spkiOfCertificate', () => {
  const ed25519 = pki.client('ed-client', 'ed25519')
  const certs: Array<[string, () => Promise<X509Certificate>]> = [
    ['ECDSA P-256 (our PKI)', async () => new X509Certificate(pki.clients.app.certPem)],
    ['Ed25519 (our PKI)', async () => new X509Certificate((await ed25519).certPem)],
    ['CA certificate', async () => new X509Certificate(pki.ca.certPem)],
    ['RSA 2048 (openssl)', async () => opensslCert(['rsa:2048'], 'rsa')],
    ['ECDSA P-384 (openssl)', async () => opensslCert(['ec', '-pkeyopt', 'ec_paramgen_curve:P-384'], 'p384')],
  ]
  it.each(certs)('gives the bytes node:crypto exports: %s', async (_name, make) => {
    const cert = await make()
    const spki = spkiOfCertificate(cert.raw)
    expect(spki).toEqual(cert.publicKey.export({ type: 'spki', format: 'der' }))
    expect(identityOfCertificate(cert)).toBe(identityOfPublicKey(cert.publicKey))
  })

  it('keeps the identities of the test PKI', () => {
    expect(identityOfCertificate(pki.clients.admin.certPem)).toBe(pki.clients.admin.identity)
    expect(identityOfCertificate(pki.selfSigned.certPem)).toBe(pki.selfSigned.identity)
  })

  it('returns undefined for input that is not a whole DER certificate', () => {
    const raw = new X509Certificate(pki.clients.app.certPem).raw
    const cases: Array<[string, Uint8Array]> = [
      ['empty', Buffer.alloc(0)],
      ['one byte', Buffer.from([0x30])],
      ['truncated', raw.subarray(0, raw.length - 1)],
      ['trailing bytes', Buffer.concat([raw, Buffer.from([0])])],
      ['not a SEQUENCE', Buffer.concat([Buffer.from([0x31]), raw.subarray(1)])],
      ['indefinite length', Buffer.from([0x30, 0x80, 0x30, 0x80, 0, 0, 0, 0])],
      ['length past the end', Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff])],
      ['huge length field', Buffer.from([0x30, 0x83, 0xff, 0xff, 0xff])],
      ['multi-byte tag', Buffer.from([0x30, 0x04, 0x1f, 0x81, 0x01, 0x00])],
      ['TBS with too few fields', Buffer.from([0x30, 0x08, 0x30, 0x06, 0x02, 0x01, 0x01, 0x30, 0x01, 0x00])],
      ['random bytes', Buffer.from('3082ffff' + 'ab'.repeat(64), 'hex')],
    ]
    for (const [name, der] of cases) expect(spkiOfCertificate(der), name).toBeUndefined()
  })

  it('never reads outside the buffer it is given (a view into a larger one)', () => {
    const raw = new X509Certificate(pki.clients.app.certPem).raw
    const big = Buffer.concat([Buffer.from('junk'), raw, Buffer.from('more junk')])
    const view = big.subarray(4, 4 + raw.length)
    expect(spkiOfCertificate(view)).toEqual(spkiOfCertificate(raw))
    expect(spkiOfCertificate(big.subarray(4, 4 + raw.length - 10))).toBeUndefined()
  })
})
