/**
 * The mTLS identity of a connection: the SHA-256 of the SubjectPublicKeyInfo of the *first*
 * certificate the client sent, the only one whose private key the handshake proved.
 *
 * KES skips every CA-flagged certificate and takes the identity of the one left. That lets a
 * client send `[its own CA:TRUE certificate, the admin's public certificate]` and be the admin
 * without the admin's key. Keyhold's rule instead:
 * - the identity is always the first certificate's;
 * - a first certificate with basic constraints CA:TRUE is refused (400 `tls: client certificate is required`);
 * - further certificates are chain material: CA ones are ignored, a non-CA one is refused with
 *   KES's 400 `tls: received more than one client certificate`, and never yields an identity.
 *
 * Computed once per TLS connection and cached on the socket, so keep-alive requests pay nothing.
 *
 * @module
 */
import type { DetailedPeerCertificate, PeerCertificate, TLSSocket } from 'node:tls'
import { identityOfParsedChain, type ChainCertificate } from '../../pki/identity.js'
import { errCertRequired, errTooManyCerts, type ApiError } from '../api/errors.js'

/** The outcome of identifying a connection: an identity or the 400 a client gets. */
export type IdentityResult = { identity: string; error?: undefined } | { identity?: undefined; error: ApiError }

const cache = new WeakMap<TLSSocket, IdentityResult>()

// A chain longer than this is not a client certificate chain anyone sends; stop walking.
const MAX_CHAIN = 10

/**
 * identifySocket returns the identity of the client on `socket`, computing it on first use.
 * Never throws: a missing or CA-flagged first certificate, or a further leaf, is reported as `error`.
 */
export function identifySocket(socket: TLSSocket): IdentityResult {
  let result = cache.get(socket)
  if (result === undefined) {
    result = computeIdentity(socket)
    cache.set(socket, result)
  }
  return result
}

// Node exposes the peer chain only as issuer-linked certificates starting at the first one sent
// (the one whose key the client proved). A further certificate the first does not name as its
// issuer is not visible here; it cannot lend an identity either, since only the first counts.
function computeIdentity(socket: TLSSocket): IdentityResult {
  // Node returns an empty object, not null, when the client sent no certificate.
  const first = socket.getPeerCertificate(true) as Partial<DetailedPeerCertificate>
  if (first.raw === undefined) return { error: errCertRequired() }
  // The handshake parsed these certificates already: their DER and CA flag (X509_check_ca, as
  // X509Certificate.ca) are all the rule needs, so nothing is parsed again per connection.
  const chain: ChainCertificate[] = []
  const seen = new Set<string>()
  let cert: PeerCertificate | undefined = first as DetailedPeerCertificate
  for (let i = 0; cert !== undefined && i < MAX_CHAIN; i++) {
    if (seen.has(cert.fingerprint256)) break // Node links a self-signed root to itself
    seen.add(cert.fingerprint256)
    chain.push({ raw: cert.raw, ca: cert.ca })
    cert = (cert as DetailedPeerCertificate).issuerCertificate
  }
  const result = identityOfParsedChain(chain)
  if ('identity' in result) return { identity: result.identity }
  return { error: result.refused === 'more-than-one' ? errTooManyCerts() : errCertRequired() }
}
