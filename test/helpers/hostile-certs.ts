/**
 * Certificate shapes an attacker would try against identity-by-certificate: CA-flagged first
 * certificates whose issuer name is a victim's subject (so TLS stacks link the victim's public
 * certificate behind them), leaves with chosen key usages, and CA certificates signed by the test
 * CA. Made in-process with @peculiar/x509 over WebCrypto; every private key is throwaway.
 */
import { createPublicKey, randomBytes, webcrypto } from 'node:crypto'
import 'reflect-metadata'
import * as x509 from '@peculiar/x509'
import { identityOfCertificate } from '../../src/pki/identity.js'
import type { TestCert, TestPki } from './pki.js'

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0])

const EC = { name: 'ECDSA', namedCurve: 'P-256' }
const SIGN = { name: 'ECDSA', hash: 'SHA-256' }

/** Key usages a victim certificate may carry; `none` omits the extension (common `openssl req -x509` output). */
export type UsageShape = 'none' | 'keyCertSign' | 'digitalSignature'

/** What to put into one crafted certificate. */
export interface CraftOptions {
  subject: string
  /** The issuer name written into the certificate (need not be the signer's). */
  issuerName?: string
  ca: boolean
  usage?: UsageShape
  /** Sign with this CA instead of the certificate's own key. */
  signer?: { certPem: string; keyPem: string }
}

/** A crafted certificate with its own private key, as PEM. */
export interface Crafted {
  certPem: string
  keyPem: string
  subject: string
  identity: string
}

function usageExtension(shape: UsageShape | undefined, ca: boolean): x509.Extension[] {
  if (shape === 'none') return []
  if (shape === 'digitalSignature') return [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)]
  if (shape === 'keyCertSign' || ca) return [new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature, true)]
  return [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)]
}

async function importPrivate(pem: string): Promise<webcrypto.CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64')
  return (await webcrypto.subtle.importKey('pkcs8', der, EC, true, ['sign'])) as webcrypto.CryptoKey
}

/** craft makes one certificate exactly as described (no validation of the shape: that is the point). */
export async function craft(opts: CraftOptions): Promise<Crafted> {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair
  const signingKey = opts.signer ? await importPrivate(opts.signer.keyPem) : keys.privateKey
  const issuer = opts.issuerName ?? (opts.signer ? new x509.X509Certificate(opts.signer.certPem).subject : opts.subject)
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '01' + randomBytes(15).toString('hex'),
    subject: opts.subject,
    issuer,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    signingAlgorithm: SIGN,
    publicKey: keys.publicKey,
    signingKey,
    extensions: [new x509.BasicConstraintsExtension(opts.ca, undefined, true), ...usageExtension(opts.usage, opts.ca)],
  })
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey))
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END PRIVATE KEY-----\n`
  const certPem = cert.toString('pem') + '\n'
  createPublicKey(certPem) // sanity: Node can read what we made
  return { certPem, keyPem, subject: opts.subject, identity: identityOfCertificate(certPem) }
}

/** asClient presents `chain` (PEMs, in order) with the private key of `holder`. */
export function asClient(holder: Crafted, chain: string[]): TestCert {
  return { certPem: chain.join(''), keyPem: holder.keyPem, certFile: '', keyFile: '', identity: holder.identity }
}

/** testCaSigner returns the test CA as a signer for {@link craft}. */
export function testCaSigner(pki: TestPki): { certPem: string; keyPem: string } {
  return { certPem: pki.ca.certPem, keyPem: pki.ca.keyPem }
}
