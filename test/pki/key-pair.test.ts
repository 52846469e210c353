import { createPrivateKey, createPublicKey, webcrypto } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
// @peculiar/x509 needs the reflect polyfill loaded first (src/pki/certificate.ts does the same).
import 'reflect-metadata'
import * as x509 from '@peculiar/x509'
import { beforeAll, describe, expect, it } from 'vitest'
import { checkKeyPair, KeyPairError, type KeyPairProblem } from '../../src/pki/index.js'
import { testPki, type TestCert, type TestPki } from '../helpers/pki.js'

// createCertificate issues only ECDSA P-256 and Ed25519: an RSA pair is made here, with the same library.
async function rsaPair(dir: string): Promise<{ certFile: string; keyFile: string }> {
  const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) }
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01', name: 'CN=rsa', notBefore: new Date(), notAfter: new Date(Date.now() + 86_400_000), signingAlgorithm: alg, keys,
  })
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey))
  const certFile = join(dir, 'rsa.crt')
  const keyFile = join(dir, 'rsa.key')
  writeFileSync(certFile, cert.toString('pem'))
  writeFileSync(keyFile, createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }))
  return { certFile, keyFile }
}

const read = (file: string): string => readFileSync(file, 'utf8')

function problemOf(fn: () => unknown): KeyPairProblem | undefined {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(KeyPairError)
    return (err as KeyPairError).problem
  }
  return undefined
}

describe('checkKeyPair', () => {
  let pki: TestPki
  let ed: TestCert
  let rsa: { certFile: string; keyFile: string }
  beforeAll(async () => {
    pki = await testPki()
    ed = await pki.client('ed-client', 'ed25519')
    rsa = await rsaPair(pki.dir)
  })

  it('returns the leaf of a matching ECDSA P-256 pair', () => {
    expect(checkKeyPair(read(pki.server.certFile), read(pki.server.keyFile)).subject).toBe('CN=server')
  })

  it('returns the leaf of a matching Ed25519 pair', () => {
    expect(checkKeyPair(read(ed.certFile), read(ed.keyFile)).subject).toBe('CN=ed-client')
  })

  it('returns the leaf of a matching RSA pair', () => {
    expect(checkKeyPair(readFileSync(rsa.certFile), readFileSync(rsa.keyFile)).subject).toBe('CN=rsa')
  })

  it('takes a key the caller already parsed (e.g. decrypted)', () => {
    const encrypted = createPrivateKey(read(pki.server.keyFile)).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' })
    const key = createPrivateKey({ key: encrypted, passphrase: 'pw' })
    expect(checkKeyPair(read(pki.server.certFile), key).subject).toBe('CN=server')
  })

  it('says mismatch for a key of another certificate, also across algorithms', () => {
    expect(problemOf(() => checkKeyPair(read(pki.server.certFile), read(pki.clients.app.keyFile)))).toBe('mismatch')
    expect(problemOf(() => checkKeyPair(read(ed.certFile), read(pki.server.keyFile)))).toBe('mismatch')
    expect(problemOf(() => checkKeyPair(read(rsa.certFile), read(ed.keyFile)))).toBe('mismatch')
  })

  it('checks the first certificate of a leaf-first chain', () => {
    const chain = read(pki.server.certFile) + read(pki.ca.certFile)
    expect(checkKeyPair(chain, read(pki.server.keyFile)).subject).toBe('CN=server')
    expect(problemOf(() => checkKeyPair(chain, read(pki.ca.keyFile)))).toBe('mismatch')
  })

  it('says certificate for a PEM without a certificate, with node\'s error as cause, before looking at the key', () => {
    let caught: unknown
    try {
      checkKeyPair(read(pki.server.keyFile), read(pki.server.keyFile))
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(KeyPairError)
    expect((caught as KeyPairError).problem).toBe('certificate')
    expect((caught as KeyPairError).cause).toBeInstanceOf(Error)
    expect(problemOf(() => checkKeyPair('not pem', 'not pem either'))).toBe('certificate')
  })

  it('says key for a key that does not parse, is a public key, or is encrypted', () => {
    const cert = read(pki.server.certFile)
    const key = createPrivateKey(read(pki.server.keyFile))
    expect(problemOf(() => checkKeyPair(cert, 'not a key'))).toBe('key')
    expect(problemOf(() => checkKeyPair(cert, createPublicKey(key).export({ type: 'spki', format: 'pem' })))).toBe('key')
    const encrypted = key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }).toString()
    expect(problemOf(() => checkKeyPair(cert, encrypted))).toBe('key')
  })
})
