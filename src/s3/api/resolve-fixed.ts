/**
 * Bucket subresources keyhold-s3 keeps no configuration for but answers as MinIO does (its `dummy-handlers.go`,
 * and its replication and notification handlers on a bucket without either): a fixed document or a fixed "not
 * configured" error, so that s3cmd, rclone and SDK-based tools that read them see MinIO's answer, not 501. Writes
 * stay 501 NotImplemented (resolve.ts), as in MinIO.
 *
 * @module
 */
import type { S3Operation } from './actions.js'

const FIXED_OPS: Record<string, Partial<Record<string, S3Operation>>> = {
  cors: { GET: 'GetBucketCors' },
  website: { GET: 'GetBucketWebsite', DELETE: 'DeleteBucketWebsite' },
  accelerate: { GET: 'GetBucketAccelerateConfiguration' },
  requestPayment: { GET: 'GetBucketRequestPayment' },
  logging: { GET: 'GetBucketLogging' },
  replication: { GET: 'GetBucketReplication' },
  notification: { GET: 'GetBucketNotificationConfiguration' },
}

/**
 * fixedOperation names the operation of such a request on a bucket, or undefined when it names none (another
 * method, or an object): those fall through to 501 NotImplemented. Throws nothing.
 */
export function fixedOperation(method: string, key: string | undefined, q: Map<string, string>): S3Operation | undefined {
  if (key !== undefined) return undefined
  for (const [sub, ops] of Object.entries(FIXED_OPS)) {
    if (q.has(sub)) return Object.hasOwn(ops, method) ? ops[method] : undefined
  }
  return undefined
}
