/**
 * Loads the Vault client's TLS material: an optional client certificate and a CA file or directory.
 *
 * @module
 */
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { VaultTlsConfig } from './config.js'

/** The options handed to the https agent; empty when nothing is configured (system roots). */
export interface TlsMaterial {
  key?: Buffer
  cert?: Buffer
  ca?: Buffer[]
}

/**
 * loadTlsMaterial reads the configured files. A CA directory contributes every regular file in it.
 * Throws an Error naming the file when a file cannot be read.
 */
export function loadTlsMaterial(tls: VaultTlsConfig): TlsMaterial {
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

function readNamed(path: string, what: string): Buffer {
  try {
    return readFileSync(path)
  } catch (err) {
    throw new Error(`vault: cannot read ${what} '${path}'`, { cause: err })
  }
}
