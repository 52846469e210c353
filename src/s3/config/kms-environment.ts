/**
 * The KMS part of keyhold-s3's environment: MinIO's MINIO_KMS_* variables (`internal/kms/config.go`), read and
 * checked once at start-up with MinIO's exact messages for incomplete or conflicting settings. Only the
 * variables are read here; the files they name are read by src/s3/kms/config.ts.
 *
 * @module
 */

/**
 * KmsConfigError: the KMS configuration is incomplete or invalid, or the files it names cannot be used (start-up
 * must stop). The message is MinIO's and never holds a secret.
 */
export class KmsConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'KmsConfigError'
  }
}

/**
 * KmsEnvironment is a complete MINIO_KMS_KES_* configuration. Either `apiKey` is set, or `certFile` and
 * `keyFile` (with `keyPassword` when the key is encrypted) are. The API key and the key password are
 * secrets: they never appear in a message or a log.
 */
export interface KmsEnvironment {
  /** MINIO_KMS_KES_ENDPOINT as given (the start-up banner shows it). */
  readonly endpoint: string
  /** The endpoints it names, ellipses (`{1...3}`) expanded; never empty. */
  readonly endpoints: readonly string[]
  /** MINIO_KMS_KES_KEY_NAME: the default key of SSE-S3 and of IAM secret sealing. */
  readonly defaultKey: string
  /** MINIO_KMS_KES_API_KEY (secret). */
  readonly apiKey?: string
  /** MINIO_KMS_KES_CERT_FILE: the client certificate's file. */
  readonly certFile?: string
  /** MINIO_KMS_KES_KEY_FILE: the client private key's file. */
  readonly keyFile?: string
  /** MINIO_KMS_KES_KEY_PASSWORD (secret): the client key's password. */
  readonly keyPassword?: string
  /** MINIO_KMS_KES_CAPATH: a CA file or directory; undefined means `<certs dir>/CAs`. */
  readonly caPath?: string
  /** MINIO_KMS_AUTO_ENCRYPTION=on: objects are SSE-KMS encrypted with the default key (as current MinIO does) unless the request or the bucket's default asks otherwise. */
  readonly autoEncryption: boolean
}

/** The most endpoints one ellipsis pattern may expand to (each range alone allows 1025). */
const MAX_ENDPOINTS = 1025

/** expandEndpoints splits a comma list, trims, drops empties and expands `{1...3}` ellipses. Throws KmsConfigError. */
export function expandEndpoints(raw: string): string[] {
  const out: string[] = []
  for (const part of raw.split(',')) {
    const endpoint = part.trim()
    if (endpoint === '') continue
    let expanded = [endpoint]
    for (let guard = 0; guard < 8 && expanded.some((e) => /\{[0-9]+\.\.\.[0-9]+\}/.test(e)); guard++) {
      // Each range is bounded, but ranges multiply: `{1...1000}{1...1000}` would stall start-up on a million
      // names, so the count is checked before a range is expanded.
      let produced = 0
      expanded = expanded.flatMap((e) => {
        const m = /\{([0-9]+)\.\.\.([0-9]+)\}/.exec(e)
        if (m === null) return [e]
        const [from, to] = [Number(m[1]), Number(m[2])]
        produced += to - from + 1
        if (to < from || to - from > 1024 || produced > MAX_ENDPOINTS) throw new KmsConfigError(`kms: invalid endpoint '${endpoint}': invalid ellipsis range`)
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

const KES_VARS = [
  'MINIO_KMS_KES_ENDPOINT', 'MINIO_KMS_KES_KEY_NAME', 'MINIO_KMS_KES_API_KEY', 'MINIO_KMS_KES_KEY_FILE',
  'MINIO_KMS_KES_CERT_FILE', 'MINIO_KMS_KES_KEY_PASSWORD', 'MINIO_KMS_KES_CAPATH',
] as const
const MINKMS_VARS = ['MINIO_KMS_SERVER', 'MINIO_KMS_ENCLAVE', 'MINIO_KMS_API_KEY', 'MINIO_KMS_SSE_KEY'] as const

/**
 * readKmsEnvironment reads MINIO_KMS_*: undefined when no KMS is configured. As MinIO, a variable set to ''
 * counts as present. Throws KmsConfigError with MinIO's message when the configuration is incomplete or
 * conflicting, names a KMS keyhold-s3 does not support, or an endpoint is malformed; never with a secret.
 */
export function readKmsEnvironment(env: NodeJS.ProcessEnv): KmsEnvironment | undefined {
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
  const endpoint = env.MINIO_KMS_KES_ENDPOINT ?? ''
  const endpoints = expandEndpoints(endpoint)
  if (endpoints.length === 0) throw new KmsConfigError('kms: no KES server endpoint provided')
  const auth = certMode
    ? { certFile: env.MINIO_KMS_KES_CERT_FILE, keyFile: env.MINIO_KMS_KES_KEY_FILE, keyPassword: env.MINIO_KMS_KES_KEY_PASSWORD }
    : { apiKey: env.MINIO_KMS_KES_API_KEY }
  return {
    endpoint, endpoints, defaultKey: env.MINIO_KMS_KES_KEY_NAME ?? '', ...auth, caPath: env.MINIO_KMS_KES_CAPATH, autoEncryption,
  }
}

/**
 * kmsFiles lists the files the KMS client's credentials come from (the certificate, its key and the CA path,
 * when set), for watching them. Throws nothing.
 */
export function kmsFiles(kms: KmsEnvironment | undefined): string[] {
  if (kms === undefined) return []
  return [kms.certFile, kms.keyFile, kms.caPath].filter((p): p is string => p !== undefined && p !== '')
}
