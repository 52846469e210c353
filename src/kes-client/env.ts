/**
 * KES's client environment variables (kes `internal/cli/env.go`, MinIO's `MINIO_KMS_KES_*`): which
 * servers to call and with which credentials. First match wins in every list.
 *
 * @module
 */
import type { KesClientOptions } from './kes-client.js'
import { loadCas } from '../lib/pem-files.js'
import { loadKeyPair, TlsFileError, type LoadedKeyPair } from '../lib/tls-files.js'

/** The default server of every KES client. */
export const DEFAULT_SERVER = '127.0.0.1:7373'

/** Variable names, in the order they are consulted. */
export const ENV = {
  server: ['MINIO_KES_SERVER', 'KES_SERVER', 'MINIO_KMS_KES_ENDPOINT'],
  apiKey: ['MINIO_KES_API_KEY', 'KES_API_KEY', 'MINIO_KMS_KES_API_KEY'],
  keyFile: ['MINIO_KES_KEY_FILE', 'KES_CLIENT_KEY', 'MINIO_KES_CLIENT_KEY', 'MINIO_KMS_KES_KEY_FILE'],
  certFile: ['MINIO_KES_CERT_FILE', 'KES_CLIENT_CERT', 'MINIO_KES_CLIENT_CERT', 'MINIO_KMS_KES_CERT_FILE'],
  keyPassword: ['MINIO_KMS_KES_KEY_PASSWORD'],
  caPath: ['KES_CAPATH', 'MINIO_KMS_KES_CAPATH'],
} as const

/** ClientEnvError: the environment names credentials that cannot be used. */
export class ClientEnvError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ClientEnvError'
  }
}

function first(env: NodeJS.ProcessEnv, names: readonly string[]): string | undefined {
  for (const n of names) {
    const v = env[n]
    if (v !== undefined && v.trim() !== '') return v.trim()
  }
  return undefined
}

/** serversFromEnv returns the server list: `override` (e.g. a flag), else the environment, else 127.0.0.1:7373. */
export function serversFromEnv(env: NodeJS.ProcessEnv, override?: string): string[] {
  const list = (override ?? first(env, ENV.server) ?? DEFAULT_SERVER).split(',').map((s) => s.trim()).filter((s) => s !== '')
  return list.length > 0 ? list : [DEFAULT_SERVER]
}

/**
 * clientOptionsFromEnv reads the credentials the environment names (API key, or certificate and
 * key files; CA file or directory) into client options. Throws ClientEnvError when both or neither
 * kind of credential is set, when a key comes without its certificate (or the reverse), when a
 * file cannot be read, or when the key does not decrypt or does not belong to the certificate.
 */
export async function clientOptionsFromEnv(
  env: NodeJS.ProcessEnv,
  opts: { server?: string; insecure?: boolean } = {},
): Promise<KesClientOptions> {
  const apiKey = first(env, ENV.apiKey)
  const keyFile = first(env, ENV.keyFile)
  const certFile = first(env, ENV.certFile)
  if (apiKey !== undefined && (keyFile !== undefined || certFile !== undefined)) {
    throw new ClientEnvError('an API key (KES_API_KEY) and a client certificate (KES_CLIENT_CERT, KES_CLIENT_KEY) are mutually exclusive')
  }
  if ((keyFile === undefined) !== (certFile === undefined)) {
    throw new ClientEnvError(
      keyFile === undefined ? 'no private key for the client certificate: set KES_CLIENT_KEY' : 'no client certificate for the private key: set KES_CLIENT_CERT',
    )
  }
  if (apiKey === undefined && keyFile === undefined) {
    throw new ClientEnvError('no credentials: set KES_API_KEY, or KES_CLIENT_CERT and KES_CLIENT_KEY')
  }
  const options: KesClientOptions = { endpoints: serversFromEnv(env, opts.server), insecure: opts.insecure === true }
  if (apiKey !== undefined) options.apiKey = apiKey
  if (keyFile !== undefined && certFile !== undefined) {
    const password = first(env, ENV.keyPassword)
    const pair = readPair(certFile, keyFile, password)
    options.certPem = pair.certPem
    options.keyPem = pair.keyPem
    if (password !== undefined) options.keyPassword = password
  }
  const caPath = first(env, ENV.caPath)
  if (caPath !== undefined) options.ca = readCas(caPath)
  return options
}

// The pair is checked here, so a wrong password or a mismatched key is named now, not at the first connection.
function readPair(certFile: string, keyFile: string, password: string | undefined): LoadedKeyPair {
  try {
    return loadKeyPair({ certFile, keyFile, password })
  } catch (err) {
    if (!(err instanceof TlsFileError)) throw err
    if (err.problem !== 'unreadable') throw new ClientEnvError(`cannot use the client certificate: ${err.message}`, { cause: err })
    const what = err.file === certFile ? 'client certificate' : 'private key'
    throw new ClientEnvError(`cannot read ${what} '${err.file}': ${err.message}`, { cause: err })
  }
}

/** readCas reads a PEM file, or every file in a directory that holds a certificate (as KES reads `tls.ca`). */
function readCas(path: string): string[] {
  try {
    return loadCas(path).map((c) => c.pem)
  } catch (err) {
    throw new ClientEnvError(`cannot read CA certificates '${path}': ${(err as Error).message}`, { cause: err })
  }
}
