/**
 * Development certificates: one local CA and everything the quick start needs, laid out as Keyhold
 * and keyhold-s3 (MinIO's certs-dir convention) expect. Existing files are kept, so identities stay
 * stable across restarts. Never use these in production: the CA key sits next to the certificates.
 *
 * @module
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createCertificate } from './certificate.js'
import { identityOfCertificate } from './identity.js'
import { generateKeyPair, privateKeyFromPem, privateKeyToPem } from './keys.js'

/** Paths of the development PKI. */
export interface DevCerts {
  dir: string
  /** The dev CA certificate: trust it in clients (aws --ca-bundle, curl --cacert). */
  caFile: string
  /** Keyhold's server certificate and key. */
  kmsCertFile: string
  kmsKeyFile: string
  /** Keyhold's admin client certificate, key and identity. */
  adminCertFile: string
  adminKeyFile: string
  adminIdentity: string
  /** keyhold-s3's certs dir: public.crt, private.key and CAs/ (trusting the dev CA for Keyhold). */
  s3CertsDir: string
  /** keyhold-s3's client certificate for Keyhold (MINIO_KMS_KES_CERT_FILE/KEY_FILE) and its identity. */
  s3ClientCertFile: string
  s3ClientKeyFile: string
  s3Identity: string
}

const DEFAULT_HOSTS = ['localhost', '127.0.0.1', '::1']

/**
 * ensureDevCerts creates (or reuses) the development PKI under `dir`.
 * Throws when files cannot be written or an existing file is not a valid certificate or key.
 */
export async function ensureDevCerts(dir: string, hosts: string[] = DEFAULT_HOSTS): Promise<DevCerts> {
  const kmsDir = join(dir, 'keyhold')
  const s3CertsDir = join(dir, 'keyhold-s3')
  for (const d of [dir, kmsDir, s3CertsDir, join(s3CertsDir, 'CAs')]) mkdirSync(d, { recursive: true, mode: 0o700 })

  const caFile = join(dir, 'ca.crt')
  const caKeyFile = join(dir, 'ca.key')
  if (!existsSync(caFile) || !existsSync(caKeyFile)) {
    const keys = generateKeyPair()
    const pem = await createCertificate({ commonName: 'Keyhold Development CA', keyPair: keys, isCA: true, days: 3650 })
    writeFileSync(caKeyFile, privateKeyToPem(keys.privateKey), { mode: 0o600 })
    writeFileSync(caFile, pem)
  }
  const issuer = { certificatePem: readFileSync(caFile, 'utf8'), privateKey: privateKeyFromPem(readFileSync(caKeyFile)).privateKey }

  const issue = async (certFile: string, keyFile: string, commonName: string, usage: Array<'server' | 'client'>, sans: string[]) => {
    if (!existsSync(certFile) || !existsSync(keyFile)) {
      const keyPair = generateKeyPair()
      const pem = await createCertificate({ commonName, keyPair, usage, hosts: sans, issuer, days: 825 })
      writeFileSync(keyFile, privateKeyToPem(keyPair.privateKey), { mode: 0o600 })
      writeFileSync(certFile, pem)
    }
    return identityOfCertificate(readFileSync(certFile))
  }

  const kmsCertFile = join(kmsDir, 'server.crt')
  const kmsKeyFile = join(kmsDir, 'server.key')
  await issue(kmsCertFile, kmsKeyFile, 'keyhold', ['server'], hosts)
  const adminCertFile = join(kmsDir, 'admin.crt')
  const adminKeyFile = join(kmsDir, 'admin.key')
  const adminIdentity = await issue(adminCertFile, adminKeyFile, 'keyhold-admin', ['client'], [])

  await issue(join(s3CertsDir, 'public.crt'), join(s3CertsDir, 'private.key'), 'keyhold-s3', ['server'], hosts)
  writeFileSync(join(s3CertsDir, 'CAs', 'keyhold-dev-ca.crt'), readFileSync(caFile))
  const s3ClientCertFile = join(dir, 'keyhold-s3-client.crt')
  const s3ClientKeyFile = join(dir, 'keyhold-s3-client.key')
  const s3Identity = await issue(s3ClientCertFile, s3ClientKeyFile, 'keyhold-s3', ['client'], [])

  return {
    dir, caFile, kmsCertFile, kmsKeyFile, adminCertFile, adminKeyFile, adminIdentity,
    s3CertsDir, s3ClientCertFile, s3ClientKeyFile, s3Identity,
  }
}
