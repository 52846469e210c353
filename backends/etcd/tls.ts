/**
 * Loads the etcd client's TLS material for the https agent.
 *
 * @module
 */
import { readFileSync } from 'node:fs'
import type { EtcdTlsConfig } from './config.js'

/** The options handed to the https agent; empty when nothing is configured (system roots). */
export interface TlsMaterial {
  ca?: Buffer
  cert?: Buffer
  key?: Buffer
}

/** loadTlsMaterial reads the configured files. Throws an Error naming the file it cannot read. */
export function loadTlsMaterial(tls: EtcdTlsConfig): TlsMaterial {
  const out: TlsMaterial = {}
  if (tls.ca) out.ca = readNamed(tls.ca, 'CA certificate')
  if (tls.cert) out.cert = readNamed(tls.cert, 'client certificate')
  if (tls.key) out.key = readNamed(tls.key, 'client key')
  return out
}

function readNamed(path: string, what: string): Buffer {
  try {
    return readFileSync(path)
  } catch (err) {
    throw new Error(`etcd: cannot read ${what} '${path}'`, { cause: err })
  }
}
