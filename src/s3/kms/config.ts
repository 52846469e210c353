/**
 * The KMS configuration of keyhold-s3 from MinIO's environment variables (`internal/kms/config.go`):
 * MINIO_KMS_KES_* for a KES-compatible KMS (Keyhold), with MinIO's exact messages for incomplete or
 * conflicting settings.
 *
 * @module
 */
import { join } from 'node:path'
import { rootCertificates } from 'node:tls'
import { loadCas } from '../../lib/pem-files.js'
import { loadKeyPair, TlsFileError } from '../../lib/tls-files.js'

/** KmsConfigError: the environment's KMS configuration is incomplete or invalid (start-up must stop). */
export class KmsConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'KmsConfigError'
  }
}

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

const KES_VARS = [
  'MINIO_KMS_KES_ENDPOINT', 'MINIO_KMS_KES_KEY_NAME', 'MINIO_KMS_KES_API_KEY', 'MINIO_KMS_KES_KEY_FILE',
  'MINIO_KMS_KES_CERT_FILE', 'MINIO_KMS_KES_KEY_PASSWORD', 'MINIO_KMS_KES_CAPATH',
] as const
const MINKMS_VARS = ['MINIO_KMS_SERVER', 'MINIO_KMS_ENCLAVE', 'MINIO_KMS_API_KEY', 'MINIO_KMS_SSE_KEY'] as const

/** expandEndpoints splits a comma list, trims, drops empties and expands `{1...3}` ellipses. Throws KmsConfigError. */
export function expandEndpoints(raw: string): string[] {
  const out: string[] = []
  for (const part of raw.split(',')) {
    const endpoint = part.trim()
    if (endpoint === '') continue
    let expanded = [endpoint]
    for (let guard = 0; guard < 8 && expanded.some((e) => /\{[0-9]+\.\.\.[0-9]+\}/.test(e)); guard++) {
      expanded = expanded.flatMap((e) => {
        const m = /\{([0-9]+)\.\.\.([0-9]+)\}/.exec(e)
        if (m === null) return [e]
        const [from, to] = [Number(m[1]), Number(m[2])]
        if (to < from || to - from > 1024) throw new KmsConfigError(`kms: invalid endpoint '${endpoint}': invalid ellipsis range`)
        const width = m[1]!.length > 1 && m[1]!.startsWith('0') ? m[1]!.length : 0
        const values: string[] = []
        for (let i = from; i <= to; i++) values.push(e.replace(m[0], String(i).padStart(width, '0')))
        return values
      })
    }
    out.push(...expanded)
  }
  return out
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
 * kmsConfigFromEnv reads the KMS configuration. Resolves undefined when no KMS is configured.
 * `certsDir` gives the default CA path (`<certsDir>/CAs`). Throws KmsConfigError with MinIO's message
 * when the configuration is incomplete, conflicting, or its files cannot be read, and when the client
 * certificate and key do not belong together.
 */
export function kmsConfigFromEnv(env: NodeJS.ProcessEnv, certsDir?: string): KmsConfig | undefined {
  const has = (name: string): boolean => env[name] !== undefined
  const kes = KES_VARS.some(has)
  const minkms = MINKMS_VARS.some(has)
  const staticKey = (env.MINIO_KMS_SECRET_KEY ?? '') !== '' || (env.MINIO_KMS_SECRET_KEY_FILE ?? '') !== ''
  const autoEncryption = (env.MINIO_KMS_AUTO_ENCRYPTION ?? '').toLowerCase() === 'on'
  if (minkms && kes) throw new KmsConfigError('kms: configuration for MinIO KMS and MinIO KES is present')
  if (kes && staticKey) throw new KmsConfigError('kms: configuration for MinIO KES and static KMS key is present')
  if (minkms || staticKey) throw new KmsConfigError('kms: only MinIO KES (MINIO_KMS_KES_*) is supported by keyhold-s3')
  if (!kes) {
    if (autoEncryption) throw new KmsConfigError('Invalid KMS configuration: auto-encryption is enabled but no valid KMS configuration is present')
    return undefined
  }
  const incomplete = (what: string) => new KmsConfigError(`kms: incomplete configuration for MinIO KES: ${what}`)
  if (!has('MINIO_KMS_KES_ENDPOINT')) throw incomplete("missing 'MINIO_KMS_KES_ENDPOINT'")
  if (!has('MINIO_KMS_KES_KEY_NAME')) throw incomplete("missing 'MINIO_KMS_KES_KEY_NAME'")
  const certMode = has('MINIO_KMS_KES_KEY_FILE') || has('MINIO_KMS_KES_CERT_FILE') || has('MINIO_KMS_KES_KEY_PASSWORD')
  if (certMode) {
    if (has('MINIO_KMS_KES_API_KEY')) throw new KmsConfigError("kms: invalid configuration for MinIO KES: 'MINIO_KMS_KES_API_KEY' and client certificate is present")
    if (!has('MINIO_KMS_KES_CERT_FILE')) throw incomplete("missing 'MINIO_KMS_KES_CERT_FILE'")
    if (!has('MINIO_KMS_KES_KEY_FILE')) throw incomplete("missing 'MINIO_KMS_KES_KEY_FILE'")
  } else if (!has('MINIO_KMS_KES_API_KEY')) {
    throw incomplete('missing authentication method')
  }
  const endpoints = expandEndpoints(env.MINIO_KMS_KES_ENDPOINT ?? '')
  if (endpoints.length === 0) throw new KmsConfigError('kms: no KES server endpoint provided')

  const config: KmsConfig = { endpoints, defaultKey: env.MINIO_KMS_KES_KEY_NAME ?? '', ca: [], autoEncryption }
  if (certMode) {
    Object.assign(config, loadClientPair(env.MINIO_KMS_KES_CERT_FILE!, env.MINIO_KMS_KES_KEY_FILE!, env.MINIO_KMS_KES_KEY_PASSWORD))
  } else {
    config.apiKey = env.MINIO_KMS_KES_API_KEY
  }
  const caPath = env.MINIO_KMS_KES_CAPATH ?? (certsDir !== undefined ? join(certsDir, 'CAs') : undefined)
  config.ca = [...rootCertificates, ...(caPath !== undefined ? loadCa(caPath) : [])]
  return config
}
