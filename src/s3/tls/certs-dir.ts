/**
 * TLS from a MinIO-style certs directory: `public.crt` + `private.key` turn TLS on; every subdirectory (except
 * `CAs` and names starting with `..`) holding the same pair adds an SNI certificate; `CAs/` holds the CAs
 * trusted for outgoing connections. TLS 1.2+ with AEAD cipher suites only, as MinIO's secure ciphers.
 *
 * @module
 */
import type { X509Certificate } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { createSecureContext, type SecureContext, type SecureContextOptions, type TlsOptions } from 'node:tls'
import { loadKeyPair, TlsFileError, unencryptedKeyPem } from '../../lib/tls-files.js'
import { loadCas } from '../../lib/pem-files.js'

/** One certificate/key pair with the leaf certificate parsed, and the file the key was read from. */
interface Pair {
  cert: string
  key: string
  leaf: X509Certificate
  keyFile: string
}

/** LoadedCerts is a certs dir's content; `default` is undefined when TLS is off. */
export interface LoadedCerts {
  default: Pair | undefined
  sni: Pair[]
}

/**
 * TLS 1.2 AEAD suites with forward secrecy (MinIO's MINIO_API_SECURE_CIPHERS=on list). AES-GCM comes first
 * because the server's order wins and x86 servers have AES-NI (as Go's own preference does); ChaCha20 stays
 * for clients without it.
 */
const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305',
].join(':')
const TLS13_SUITES = 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256'

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

function loadPair(dir: string, passphrase: string | undefined): Pair | undefined {
  const certFile = join(dir, 'public.crt')
  const keyFile = join(dir, 'private.key')
  if (!isFile(certFile) || !isFile(keyFile)) return undefined
  try {
    const pair = loadKeyPair({ certFile, keyFile, password: passphrase })
    return { cert: pair.certPem, key: unencryptedKeyPem(pair), leaf: pair.leaf, keyFile }
  } catch (err) {
    if (!(err instanceof TlsFileError)) throw err
    switch (err.problem) {
      case 'unreadable':
        throw err
      case 'password-missing':
        throw new Error(`${keyFile} is encrypted: set MINIO_CERT_PASSWD`, { cause: err })
      case 'key':
        // An unparsable unencrypted key has always surfaced as node's own parse error (it holds no key material).
        throw err.cause
      case 'password-wrong':
        throw new Error(`${keyFile}: cannot decrypt the private key with MINIO_CERT_PASSWD`, { cause: err })
      case 'certificate':
        throw new Error(`${certFile}: not a PEM certificate`, { cause: err })
      case 'mismatch':
        throw new Error(`${dir}: public.crt does not match private.key`, { cause: err })
    }
  }
}

/**
 * loadCertsDir reads a certs dir (creating `CAs/`, mode 0700); `passphrase` (MINIO_CERT_PASSWD) decrypts
 * encrypted private keys. Throws Error for unreadable or mismatched certificates, an encrypted key without
 * or with a wrong passphrase (never saying it), or an SNI certificate with IP SANs.
 */
export function loadCertsDir(dir: string, passphrase?: string): LoadedCerts {
  mkdirSync(join(dir, 'CAs'), { recursive: true, mode: 0o700 })
  const def = loadPair(dir, passphrase)
  const sni: Pair[] = []
  if (def !== undefined) {
    for (const name of readdirSync(dir).sort()) {
      if (name === 'CAs' || name.startsWith('..')) continue
      const sub = join(dir, name)
      if (!statSync(sub).isDirectory()) continue
      const pair = loadPair(sub, passphrase)
      if (pair === undefined) continue
      if ((pair.leaf.subjectAltName ?? '').includes('IP Address:')) {
        throw new Error(`${sub}: only the default certificate may contain IP SANs`)
      }
      sni.push(pair)
    }
  }
  return { default: def, sni }
}

/** loadTrustedCAs returns the PEM files in `<certsDir>/CAs` (for outgoing TLS, e.g. to the KMS); [] if none. */
export function loadTrustedCAs(certsDir: string): string[] {
  const dir = join(certsDir, 'CAs')
  if (!existsSync(dir)) return []
  return loadCas(dir).map((c) => c.pem)
}

const BASE: SecureContextOptions = {
  minVersion: 'TLSv1.2',
  ciphers: `${TLS13_SUITES}:${TLS12_CIPHERS}`,
  ecdhCurve: 'X25519:P-256:P-384:P-521',
  honorCipherOrder: true,
}

/** TlsSetup is the server's TLS options plus a way to swap certificates in place (SIGHUP reload). */
export interface TlsSetup {
  options: TlsOptions
  /** contextOptions returns what tls.Server#setSecureContext needs for the default certificate. */
  update(certs: { default: { cert: string; key: string }; sni?: LoadedCerts['sni'] }): SecureContextOptions
}

/** tlsSetup builds the server options for a default pair, selecting SNI certificates by host name. */
export function tlsSetup(certs: { default: { cert: string; key: string }; sni?: LoadedCerts['sni'] }): TlsSetup {
  let contexts: Array<{ leaf: X509Certificate; ctx: SecureContext }> = []
  const update = (c: typeof certs): SecureContextOptions => {
    contexts = (c.sni ?? []).map((p) => ({ leaf: p.leaf, ctx: createSecureContext({ ...BASE, cert: p.cert, key: p.key }) }))
    return { ...BASE, cert: c.default.cert, key: c.default.key }
  }
  const base = update(certs)
  return {
    update,
    options: {
      ...base,
      ALPNProtocols: ['http/1.1'],
      SNICallback: (servername, cb) => {
        const match = contexts.find((c) => c.leaf.checkHost(servername) !== undefined)
        // No match (or no SNI): the default certificate, as MinIO does.
        cb(null, match?.ctx)
      },
    },
  }
}
