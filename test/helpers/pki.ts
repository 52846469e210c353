/**
 * A throwaway PKI for tests: a CA, a server certificate for localhost/127.0.0.1/::1, and client
 * certificates whose identities are precomputed. Made fresh per test process (no private key is
 * committed); files are written to a temp dir so curl and the aws CLI can use them.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createCertificate, generateKeyPair, identityOfPublicKey, privateKeyToPem, type KeyAlgorithm } from '../../src/pki/index.js'

export interface TestCert {
  certPem: string
  keyPem: string
  certFile: string
  keyFile: string
  identity: string
}

export interface TestPki {
  dir: string
  ca: TestCert
  server: TestCert
  /** Client certificates signed by the CA. */
  clients: { admin: TestCert; app: TestCert; stranger: TestCert }
  /** A self-signed client certificate no CA vouches for. */
  selfSigned: TestCert
  /** Makes another client certificate signed by the CA. */
  client(name: string, algorithm?: KeyAlgorithm): Promise<TestCert>
}

let cached: Promise<TestPki> | undefined

/** testPki returns this process's test PKI, creating it on first use. */
export function testPki(): Promise<TestPki> {
  cached ??= makeTestPki()
  return cached
}

async function makeTestPki(): Promise<TestPki> {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-pki-'))
  const write = (name: string, certPem: string, keyPem: string, identity: string): TestCert => {
    const certFile = join(dir, `${name}.crt`)
    const keyFile = join(dir, `${name}.key`)
    writeFileSync(certFile, certPem)
    writeFileSync(keyFile, keyPem, { mode: 0o600 })
    return { certPem, keyPem, certFile, keyFile, identity }
  }
  const caKeys = generateKeyPair()
  const caPem = await createCertificate({ commonName: 'Keyhold Test CA', keyPair: caKeys, isCA: true, days: 3650 })
  const ca = write('ca', caPem, privateKeyToPem(caKeys.privateKey), identityOfPublicKey(caKeys.publicKey))
  const issuer = { certificatePem: caPem, privateKey: caKeys.privateKey }

  const issue = async (name: string, usage: Array<'server' | 'client'>, hosts: string[] = [], algorithm: KeyAlgorithm = 'ecdsa-p256') => {
    const keyPair = generateKeyPair(algorithm)
    const certPem = await createCertificate({ commonName: name, keyPair, usage, hosts, issuer, days: 365 })
    return write(name, certPem, privateKeyToPem(keyPair.privateKey), identityOfPublicKey(keyPair.publicKey))
  }
  const server = await issue('server', ['server'], ['localhost', '127.0.0.1', '::1'])
  const clients = {
    admin: await issue('admin', ['client']),
    app: await issue('app', ['client']),
    stranger: await issue('stranger', ['client']),
  }
  const ssKeys = generateKeyPair()
  const ssPem = await createCertificate({ commonName: 'self-signed', keyPair: ssKeys, usage: ['client'] })
  const selfSigned = write('self-signed', ssPem, privateKeyToPem(ssKeys.privateKey), identityOfPublicKey(ssKeys.publicKey))
  return { dir, ca, server, clients, selfSigned, client: (name, algorithm) => issue(name, ['client'], [], algorithm) }
}
