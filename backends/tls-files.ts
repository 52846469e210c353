/**
 * Loads a keystore client's TLS material (Vault's, etcd's): an optional client certificate and key, and a
 * CA file or directory, listed as the server lists its own (src/lib/pem-files.ts).
 *
 * @module
 */
import { loadCas } from '../src/lib/pem-files.js'
import { loadKeyPair, readBounded, MAX_PEM_BYTES, TlsFileError } from '../src/lib/tls-files.js'

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
 * loadTlsMaterial reads the configured files (each at most 1 MiB, regular files only) and checks that a client
 * key belongs to its certificate. A CA directory contributes every file in it that holds a PEM certificate.
 * Throws an Error, prefixed with `label` (e.g. `vault`), naming the file when a file cannot be read, and
 * saying what is wrong (never the content) when the key does not parse or belong to the certificate.
 */
export function loadTlsMaterial(tls: TlsFiles, label: string): TlsMaterial {
  const readNamed = (path: string, what: string): Buffer => {
    try {
      return readBounded(path, MAX_PEM_BYTES)
    } catch (err) {
      throw new Error(`${label}: cannot read ${what} '${path}'`, { cause: err })
    }
  }
  const out: TlsMaterial = {}
  if (tls.key && tls.cert) Object.assign(out, readPair(tls.cert, tls.key, label))
  else if (tls.key) out.key = readNamed(tls.key, 'client key')
  else if (tls.cert) out.cert = readNamed(tls.cert, 'client certificate')
  if (tls.ca) out.ca = readCas(tls.ca, label)
  return out
}

function readPair(certFile: string, keyFile: string, label: string): { cert: Buffer; key: Buffer } {
  try {
    const pair = loadKeyPair({ certFile, keyFile })
    return { cert: Buffer.from(pair.certPem), key: Buffer.from(pair.keyPem) }
  } catch (err) {
    if (!(err instanceof TlsFileError)) throw err
    if (err.problem === 'unreadable') {
      const what = err.file === certFile ? 'client certificate' : 'client key'
      throw new Error(`${label}: cannot read ${what} '${err.file}'`, { cause: err })
    }
    throw new Error(`${label}: ${err.message}`, { cause: err })
  }
}

// Every file of a CA directory that holds a certificate (src/lib/pem-files.ts), or the one CA file.
function readCas(path: string, label: string): Buffer[] {
  try {
    return loadCas(path).map((c) => Buffer.from(c.pem))
  } catch (err) {
    const file = err instanceof TlsFileError ? err.file : path
    throw new Error(`${label}: cannot read CA certificate '${file}'`, { cause: err })
  }
}
