/**
 * What clients see of an encrypted object: MinIO's response headers for each SSE kind (ETags: etag.ts).
 *
 * @module
 */
import type { SseMetadata } from './metadata.js'
import { ARN_PREFIX } from './request.js'

/**
 * sseResponseHeaders returns the headers MinIO sends on PUT/GET/HEAD/Copy/Complete:
 * SSE-S3 `AES256`; SSE-KMS `aws:kms` + `arn:aws:kms:KEY` (+ stored context); SSE-C echoes.
 */
export function sseResponseHeaders(m: SseMetadata, customerKeyMd5?: string): Record<string, string> {
  if (m.kind === 'SSE-S3') return { 'x-amz-server-side-encryption': 'AES256' }
  if (m.kind === 'SSE-KMS') {
    const keyId = m.keyId ?? ''
    const out: Record<string, string> = {
      'x-amz-server-side-encryption': 'aws:kms',
      'x-amz-server-side-encryption-aws-kms-key-id': keyId.startsWith(ARN_PREFIX) ? keyId : ARN_PREFIX + keyId,
    }
    if (m.contextB64 !== undefined) out['x-amz-server-side-encryption-context'] = m.contextB64
    return out
  }
  const out: Record<string, string> = { 'x-amz-server-side-encryption-customer-algorithm': 'AES256' }
  if (customerKeyMd5 !== undefined) out['x-amz-server-side-encryption-customer-key-MD5'] = customerKeyMd5
  return out
}

