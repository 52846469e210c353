/**
 * The request a signature is checked on, the options of the check and its outcome: shared by the SigV4
 * and SigV2 verifiers, so neither imports the other for its types.
 *
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { Credential, CredentialProvider } from '../extensions.js'

/** The request as SigV4 sees it. */
export interface SigRequest {
  method: string
  /** The path exactly as sent (still percent-encoded). */
  rawPath: string
  query: Array<[string, string]>
  headers: IncomingHttpHeaders
}

/** SignedRequest is the outcome of a verified signature, needed to verify streaming chunk signatures. */
export interface SignedRequest {
  credential: Credential
  /** x-amz-content-sha256 (or UNSIGNED-PAYLOAD for presigned URLs). */
  payloadHash: string
  seedSignature: string
  amzDate: string
  scope: string
  key: Buffer
  presigned: boolean
  /** The signature version: 2 (`AWS` header or AWSAccessKeyId URL) or 4. */
  version: 2 | 4
}

/** Verification settings. */
export interface VerifyOptions {
  credentials: CredentialProvider
  region: string
  maxSkewMs: number
  now?: number
  /** The virtual-host domain, when configured: SigV2 signs the bucket of a virtual-host request in its resource. */
  domain?: string
}
