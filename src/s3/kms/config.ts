/**
 * The KMS client configuration of keyhold-s3: the files named by MINIO_KMS_KES_* (read and checked by
 * src/s3/config/kms-environment.ts) loaded, with MinIO's exact messages (`internal/kms/config.go`) for files
 * that cannot be read.
 *
 * @module
 */
import { createPrivateKey } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { rootCertificates } from 'node:tls'
import { pemFilesAt } from '../../lib/pem-files.js'
import { KmsConfigError, type KmsEnvironment } from '../config/kms-environment.js'

/** KmsConfig is a complete KES connection configuration. Secrets stay in memory only. */
export interface KmsConfig {
  endpoints: string[]
  defaultKey: string
  certPem?: string
  keyPem?: string
  apiKey?: string
  /** Trusted roots: the system's plus the CA path's. */
  ca: string[]
  autoEncryption: boolean
}

function loadCa(path: string): string[] {
  const pems: string[] = []
  for (const file of pemFilesAt(path)) {
    try {
      pems.push(readFileSync(file, 'utf8'))
    } catch {
      // A missing path or an unreadable entry is skipped, as MinIO does.
    }
  }
  return pems
}

function loadClientKey(keyFile: string, password: string | undefined): string {
  let pem: string
  try {
    pem = readFileSync(keyFile, 'utf8')
  } catch (err) {
    throw new KmsConfigError(`Unable to load KES client private key as specified by the shell environment: ${(err as Error).message}`)
  }
  try {
    return createPrivateKey({ key: pem, passphrase: password ?? '' }).export({ format: 'pem', type: 'pkcs8' }).toString()
  } catch {
    throw new KmsConfigError('Unable to decrypt KES client private key as specified by the shell environment')
  }
}

/**
 * loadKmsConfig reads the files a checked KMS environment names: the client certificate and key (decrypted with
 * the key password) or the API key, and the CA path's certificates; `certsDir` gives the default CA path
 * (`<certsDir>/CAs`). Throws KmsConfigError with MinIO's message when the certificate or key cannot be read or
 * decrypted (never with their content or the password).
 */
export function loadKmsConfig(kms: KmsEnvironment, certsDir?: string): KmsConfig {
  const config: KmsConfig = { endpoints: [...kms.endpoints], defaultKey: kms.defaultKey, ca: [], autoEncryption: kms.autoEncryption }
  if (kms.certFile !== undefined && kms.keyFile !== undefined) {
    try {
      config.certPem = readFileSync(kms.certFile, 'utf8')
    } catch (err) {
      throw new KmsConfigError(`Unable to load KES client certificate as specified by the shell environment: ${(err as Error).message}`)
    }
    config.keyPem = loadClientKey(kms.keyFile, kms.keyPassword)
  } else {
    config.apiKey = kms.apiKey
  }
  const caPath = kms.caPath ?? (certsDir !== undefined ? join(certsDir, 'CAs') : undefined)
  config.ca = [...rootCertificates, ...(caPath !== undefined ? loadCa(caPath) : [])]
  return config
}
