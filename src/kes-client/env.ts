/**
 * KES's client environment variables (kes `internal/cli/env.go`, MinIO's `MINIO_KMS_KES_*`): which
 * servers to call and with which credentials. First match wins in every list.
 *
 * @module
 */
import { readFile, stat } from 'node:fs/promises'
import type { KesClientOptions } from './kes-client.js'
import { pemFilesAt } from '../lib/pem-files.js'

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
 * kind of credential is set, when a key comes without its certificate (or the reverse), or when a
 * file cannot be read.
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
    options.certPem = await readText(certFile, 'client certificate')
    options.keyPem = await readText(keyFile, 'private key')
    const password = first(env, ENV.keyPassword)
    if (password !== undefined) options.keyPassword = password
  }
  const caPath = first(env, ENV.caPath)
  if (caPath !== undefined) options.ca = await readCas(caPath)
  return options
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (err) {
    throw new ClientEnvError(`cannot read ${what} '${path}': ${(err as Error).message}`, { cause: err })
  }
}

/** readCas reads a PEM file, or every file in a directory (as KES reads `tls.ca`). */
async function readCas(path: string): Promise<string[]> {
  try {
    if (!(await stat(path)).isDirectory()) return [await readFile(path, 'utf8')]
    const pems = await Promise.all(pemFilesAt(path).map((f) => readFile(f, 'utf8')))
    return pems.filter((p) => p.includes('-----BEGIN CERTIFICATE-----'))
  } catch (err) {
    throw new ClientEnvError(`cannot read CA certificates '${path}': ${(err as Error).message}`, { cause: err })
  }
}
