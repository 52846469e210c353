/**
 * The mTLS identity of a connection: the SHA-256 of the leaf certificate's SubjectPublicKeyInfo,
 * CA certificates dropped (kes-api.md §2.1). Computed once per TLS connection and cached on the
 * socket, so keep-alive requests pay nothing.
 *
 * @module
 */
import { X509Certificate } from 'node:crypto'
import type { DetailedPeerCertificate, PeerCertificate, TLSSocket } from 'node:tls'
import { identityOfCertificate } from '../pki/identity.js'
import { errCertRequired, errTooManyCerts, type ApiError } from '../api/errors.js'

/** The outcome of identifying a connection: an identity or the 400 a client gets. */
export type IdentityResult = { identity: string; error?: undefined } | { identity?: undefined; error: ApiError }

const cache = new WeakMap<TLSSocket, IdentityResult>()

// A chain longer than this is not a client certificate chain anyone sends; stop walking.
const MAX_CHAIN = 10

/**
 * identifySocket returns the identity of the client on `socket`, computing it on first use.
 * Never throws: a missing certificate or more than one leaf is reported as `error`.
 */
export function identifySocket(socket: TLSSocket): IdentityResult {
  let result = cache.get(socket)
  if (result === undefined) {
    result = computeIdentity(socket)
    cache.set(socket, result)
  }
  return result
}

// Node exposes the peer chain only as issuer-linked certificates starting at the leaf, the one
// whose key the client proved it holds. A second, unrelated leaf in the client's message is not
// visible here, so "more than one leaf" can only be detected within that linked chain; the
// identity is always that of the certificate the handshake authenticated.
function computeIdentity(socket: TLSSocket): IdentityResult {
  // Node returns an empty object, not null, when the client sent no certificate.
  const first = socket.getPeerCertificate(true) as Partial<DetailedPeerCertificate>
  if (first.raw === undefined) return { error: errCertRequired() }
  const leaves: Buffer[] = []
  const seen = new Set<string>()
  let cert: PeerCertificate | undefined = first as DetailedPeerCertificate
  for (let i = 0; cert !== undefined && i < MAX_CHAIN; i++) {
    if (seen.has(cert.fingerprint256)) break // Node links a self-signed root to itself
    seen.add(cert.fingerprint256)
    if (!new X509Certificate(cert.raw).ca) leaves.push(cert.raw)
    const next: DetailedPeerCertificate | undefined = (cert as DetailedPeerCertificate).issuerCertificate
    cert = next
  }
  if (leaves.length === 0) return { error: errCertRequired() }
  if (leaves.length > 1) return { error: errTooManyCerts() }
  return { identity: identityOfCertificate(leaves[0]!) }
}
