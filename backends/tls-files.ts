/**
 * Loads a keystore client's TLS material (Vault's, etcd's): an optional client certificate and key, and a
 * CA file or directory. Backends may not import src/ (lint), so they share this loader among themselves.
 *
 * @module
 */
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

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
  if (tls.ca) {
    const isDir = safeStat(tls.ca)?.isDirectory() ?? false
    const files = isDir
      ? readdirSync(tls.ca).map((f) => join(tls.ca!, f)).filter((f) => safeStat(f)?.isFile())
      : [tls.ca]
    out.ca = files.map((f) => readNamed(f, 'CA certificate'))
  }
  return out
}

function safeStat(path: string) {
  try {
    return statSync(path)
  } catch {
    return undefined
  }
}
