/**
 * Loads a keystore client's TLS material (Vault's, etcd's): an optional client certificate and key, and a
 * CA file or directory, listed as the server lists its own (src/lib/pem-files.ts).
 *
 * @module
 */
import { readFileSync } from 'node:fs'
import { pemFilesAt } from '../src/lib/pem-files.js'

/** The TLS files a keystore's config names. */
export interface TlsFiles {
  key?: string
  cert?: string
  ca?: string
}

/** The options handed to the https agent; empty when nothing is configured (system roots). */
export interface TlsMaterial {
  key?: Buffer
  cert?: Buffer
  ca?: Buffer[]
}

/**
 * loadTlsMaterial reads the configured files. A CA directory contributes every regular file in it.
 * Throws an Error, prefixed with `label` (e.g. `vault`), naming the file when a file cannot be read.
 */
export function loadTlsMaterial(tls: TlsFiles, label: string): TlsMaterial {
  const readNamed = (path: string, what: string): Buffer => {
    try {
      return readFileSync(path)
    } catch (err) {
      throw new Error(`${label}: cannot read ${what} '${path}'`, { cause: err })
    }
  }
  const out: TlsMaterial = {}
  if (tls.key) out.key = readNamed(tls.key, 'client key')
  if (tls.cert) out.cert = readNamed(tls.cert, 'client certificate')
  if (tls.ca) out.ca = pemFilesAt(tls.ca).map((f) => readNamed(f, 'CA certificate'))
  return out
}
