/**
 * X.509 certificates for servers, clients and dev CAs, made with @peculiar/x509 over Node's WebCrypto.
 *
 * @module
 */
import { createPublicKey, randomBytes, webcrypto, type KeyObject } from 'node:crypto'
import { isIP } from 'node:net'
import type * as X509 from '@peculiar/x509'
import type { KeyPair } from './keys.js'

type CryptoKey = webcrypto.CryptoKey

// @peculiar/x509 (with reflect-metadata and its ASN.1 schemas) takes longer to load than the rest of a
// client command: it loads on the first certificate made, not with every module that imports this one.
let x509Module: Promise<typeof X509> | undefined
function loadX509(): Promise<typeof X509> {
  x509Module ??= (async () => {
    await import('reflect-metadata')
    const x509 = await import('@peculiar/x509')
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0])
    return x509
  })()
  return x509Module
}

/** What a new certificate says about itself. */
export interface CertificateOptions {
  /** Common name; also the only subject attribute. */
  commonName: string
  /** The key pair the certificate certifies. */
  keyPair: KeyPair
  /** DNS names and IP addresses for the subjectAltName extension. */
  hosts?: string[]
  /** Validity in days from now (default 90, as `kes identity new`). */
  days?: number
  /** A CA certificate (basicConstraints CA=true, keyCertSign). */
  isCA?: boolean
  /** Extended key usages (default both server and client auth; none for a CA). */
  usage?: Array<'server' | 'client'>
  /** The issuer; when absent the certificate is self-signed. */
  issuer?: { certificatePem: string; privateKey: KeyObject }
}

async function toCryptoKeys(pair: KeyPair): Promise<{ privateKey: CryptoKey; publicKey: CryptoKey; algorithm: webcrypto.Algorithm | webcrypto.EcdsaParams }> {
  const type = pair.privateKey.asymmetricKeyType
  const pkcs8 = pair.privateKey.export({ type: 'pkcs8', format: 'der' })
  const spki = pair.publicKey.export({ type: 'spki', format: 'der' })
  if (type === 'ed25519') {
    const alg = { name: 'Ed25519' }
    return {
      privateKey: (await webcrypto.subtle.importKey('pkcs8', pkcs8, alg, true, ['sign'])) as CryptoKey,
      publicKey: (await webcrypto.subtle.importKey('spki', spki, alg, true, ['verify'])) as CryptoKey,
      algorithm: alg,
    }
  }
  if (type === 'ec') {
    const alg = { name: 'ECDSA', namedCurve: 'P-256' }
    return {
      privateKey: (await webcrypto.subtle.importKey('pkcs8', pkcs8, alg, true, ['sign'])) as CryptoKey,
      publicKey: (await webcrypto.subtle.importKey('spki', spki, alg, true, ['verify'])) as CryptoKey,
      algorithm: { name: 'ECDSA', hash: 'SHA-256' } as webcrypto.EcdsaParams,
    }
  }
  throw new Error(`pki: unsupported key type '${String(type)}'`)
}

/**
 * createCertificate issues a certificate and returns it as PEM.
 * Throws when the key types are unsupported (only ECDSA P-256 and Ed25519 are).
 */
export async function createCertificate(opts: CertificateOptions): Promise<string> {
  const x509 = await loadX509()
  const subject = await toCryptoKeys(opts.keyPair)
  const days = opts.days ?? 90
  const notBefore = new Date(Date.now() - 60_000)
  const notAfter = new Date(Date.now() + days * 86_400_000)
  const serial = randomBytes(16)
  serial[0] = (serial[0] ?? 0) & 0x7f
  const hosts = opts.hosts ?? []
  const extensions: X509.Extension[] = [
    new x509.BasicConstraintsExtension(opts.isCA === true, undefined, true),
    new x509.KeyUsagesExtension(
      opts.isCA === true
        ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature
        : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement,
      true,
    ),
    await x509.SubjectKeyIdentifierExtension.create(subject.publicKey),
  ]
  if (opts.isCA !== true) {
    const usage = opts.usage ?? ['server', 'client']
    const oids = usage.map((u) => (u === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth))
    extensions.push(new x509.ExtendedKeyUsageExtension(oids))
  }
  if (hosts.length > 0) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(hosts.map((h) => (isIP(h) !== 0 ? { type: 'ip', value: h } : { type: 'dns', value: h }))),
    )
  }
  const name = `CN=${opts.commonName.replace(/[,+"\\<>;=]/g, '_')}`
  let cert: X509.X509Certificate
  if (opts.issuer === undefined) {
    cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial.toString('hex'),
      subject: name,
      issuer: name,
      notBefore,
      notAfter,
      signingAlgorithm: subject.algorithm,
      publicKey: subject.publicKey,
      signingKey: subject.privateKey,
      extensions,
    })
  } else {
    const issuerCert = new x509.X509Certificate(opts.issuer.certificatePem)
    const issuerKeys = await toCryptoKeys({ privateKey: opts.issuer.privateKey, publicKey: createPublicKey(opts.issuer.privateKey) })
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(issuerCert))
    cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial.toString('hex'),
      subject: name,
      issuer: issuerCert.subject,
      notBefore,
      notAfter,
      signingAlgorithm: issuerKeys.algorithm,
      publicKey: subject.publicKey,
      signingKey: issuerKeys.privateKey,
      extensions,
    })
  }
  return cert.toString('pem') + '\n'
}
