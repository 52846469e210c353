/**
 * The bucket configurations keyhold-s3 does not keep, answered as MinIO answers them (`cmd/dummy-handlers.go`, and
 * its replication and notification handlers for a bucket with neither): CORS, website and replication are "not
 * configured" errors, accelerate, request payment, logging and notification fixed documents, and DeleteBucketWebsite
 * a no-op. Dispatch has authorized each (actions.ts) before it runs; each still requires the bucket.
 *
 * @module
 */
import type { S3Operation } from '../api/actions.js'
import { sendEmpty, sendXml, type Ctx } from '../api/context.js'
import { s3err } from '../api/errors.js'
import { xmlDocument } from '../api/xml.js'
import { requireBucket } from './common.js'

type Handler = (ctx: Ctx) => Promise<void>

/** A handler that answers `answer` once the bucket is known to exist; throws S3Error NoSuchBucket, or what `answer` throws. */
function forBucket(answer: (ctx: Ctx) => void): Handler {
  return (ctx) => {
    requireBucket(ctx)
    answer(ctx)
    return Promise.resolve()
  }
}

/** The fixed handlers; each throws S3Error NoSuchBucket, and the "not configured" ones their 404 error. */
export const fixedSubresourceHandlers = {
  GetBucketCors: forBucket(() => {
    throw s3err('NoSuchCORSConfiguration')
  }),
  GetBucketWebsite: forBucket(() => {
    throw s3err('NoSuchWebsiteConfiguration')
  }),
  // There is never a website configuration to remove: AWS's answer to a removal, 204.
  DeleteBucketWebsite: forBucket((ctx) => sendEmpty(ctx, 204)),
  GetBucketAccelerateConfiguration: forBucket((ctx) => sendXml(ctx, xmlDocument(['AccelerateConfiguration', []]))),
  GetBucketRequestPayment: forBucket((ctx) => sendXml(ctx, xmlDocument(['RequestPaymentConfiguration', [['Payer', 'BucketOwner']]]))),
  GetBucketLogging: forBucket((ctx) => sendXml(ctx, xmlDocument(['BucketLoggingStatus', []]))),
  GetBucketReplication: forBucket(() => {
    throw s3err('ReplicationConfigurationNotFoundError')
  }),
  GetBucketNotificationConfiguration: forBucket((ctx) => sendXml(ctx, xmlDocument(['NotificationConfiguration', []]))),
} as const satisfies Partial<Record<S3Operation, Handler>>
