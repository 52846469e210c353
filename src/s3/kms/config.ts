/**
 * The KMS client configuration of keyhold-s3: the files named by MINIO_KMS_KES_* (read and checked by
 * src/s3/config/kms-environment.ts) loaded, with MinIO's exact messages (`internal/kms/config.go`) for files
 * that cannot be read.
 *
 * @module
 */
import { join } from 'node:path'
import { rootCertificates } from 'node:tls'
import { loadCas } from '../../lib/pem-files.js'
import { loadKeyPair, TlsFileError } from '../../lib/tls-files.js'
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

// A missing path or an unreadable entry is skipped, as MinIO does.
function loadCa(path: string): string[] {
  return loadCas(path, { skipUnreadable: true }).map((c) => c.pem)
}

/**
 * loadClientPair reads the KES client certificate and key (decrypted with MINIO_KMS_KES_KEY_PASSWORD) and
 * checks that they belong together. Throws KmsConfigError with MinIO's messages, never the files' content.
 */
function loadClientPair(certFile: string, keyFile: string, password: string | undefined): { certPem: string; keyPem: string } {
  try {
    const pair = loadKeyPair({ certFile, keyFile, password })
    return { certPem: pair.certPem, keyPem: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() }
  } catch (err) {
    if (!(err instanceof TlsFileError)) throw err
    switch (err.problem) {
      case 'unreadable':
        throw new KmsConfigError(err.file === certFile
          ? `Unable to load KES client certificate as specified by the shell environment: ${err.message}`
          : `Unable to load KES client private key as specified by the shell environment: ${err.message}`)
      case 'password-missing':
      case 'password-wrong':
      case 'key':
        throw new KmsConfigError('Unable to decrypt KES client private key as specified by the shell environment')
      case 'certificate':
        throw new KmsConfigError('kms: the KES client certificate is not a PEM certificate')
      case 'mismatch':
        throw new KmsConfigError('kms: the KES client certificate does not match its private key')
    }
  }
}

/**
 * loadKmsConfig reads the files a checked KMS environment names: the client certificate and key (decrypted with
 * the key password) or the API key, and the CA path's certificates; `certsDir` gives the default CA path
 * (`<certsDir>/CAs`). Throws KmsConfigError with MinIO's message when the certificate or key cannot be read or
 * decrypted, or when they do not belong together (never with their content or the password).
 */
export function loadKmsConfig(kms: KmsEnvironment, certsDir?: string): KmsConfig {
  const config: KmsConfig = { endpoints: [...kms.endpoints], defaultKey: kms.defaultKey, ca: [], autoEncryption: kms.autoEncryption }
  if (kms.certFile !== undefined && kms.keyFile !== undefined) {
    const pair = loadClientPair(kms.certFile, kms.keyFile, kms.keyPassword)
    config.certPem = pair.certPem
    config.keyPem = pair.keyPem
  } else {
    config.apiKey = kms.apiKey
  }
  const caPath = kms.caPath ?? (certsDir !== undefined ? join(certsDir, 'CAs') : undefined)
  config.ca = [...rootCertificates, ...(caPath !== undefined ? loadCa(caPath) : [])]
  return config
}
