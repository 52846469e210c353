/**
 * Get/Put/DeleteBucketEncryption (`cmd/bucket-encryption-handlers.go`) as a bucket subresource
 * handler: MinIO's validation, a test generate for a named KMS key, storage in the bucket config.
 *
 * @module
 */
import { S3_ERRORS, s3err } from '../api/errors.js'
import type { SubresourceHandler, SubresourceRequest, SubresourceResponse } from '../extensions.js'
import { BUCKET_KEY_CHECK_CONTEXT } from '../kms/context.js'
import type { Kms } from '../kms/kms.js'
import { kmsKeyOf, parseBucketSseConfig, serializeBucketSseConfig } from './bucket-config.js'

/** The bucket-config entry the encryption XML lives under. */
const ENCRYPTION_CONFIG = 'encryption'
/** MinIO's maxBucketSSEConfigSize. */
const MAX_BODY = 1 << 20

/**
 * bucketEncryptionHandler serves `?encryption`. PUT throws S3Error MalformedXML (MinIO's reasons),
 * NotImplemented without a KMS, `kms:*` when the key check fails; GET throws
 * ServerSideEncryptionConfigurationNotFoundError when none is set.
 */
export function bucketEncryptionHandler(kms: Kms | undefined): SubresourceHandler {
  return async (req: SubresourceRequest): Promise<SubresourceResponse> => {
    const store = req.bucketConfig
    if (req.method === 'GET') {
      const xml = store.get(req.bucket, ENCRYPTION_CONFIG)
      if (xml === undefined) throw s3err('ServerSideEncryptionConfigurationNotFoundError', undefined, { BucketName: req.bucket })
      return { status: 200, headers: { 'content-type': 'application/xml' }, body: `<?xml version="1.0" encoding="UTF-8"?>\n${xml}` }
    }
    if (req.method === 'DELETE') {
      store.delete(req.bucket, ENCRYPTION_CONFIG)
      return { status: 204 }
    }
    if (req.body.length > MAX_BODY) throw s3err('EntityTooLarge')
    const config = parseBucketSseConfig(req.body.toString('utf8'))
    if (kms === undefined) throw S3_ERRORS.kmsNotConfigured()
    if (config.algorithm === 'aws:kms') {
      const key = await kms.generateKey(kmsKeyOf(config), BUCKET_KEY_CHECK_CONTEXT)
      key.plaintext.fill(0)
    }
    store.set(req.bucket, ENCRYPTION_CONFIG, serializeBucketSseConfig(config))
    return { status: 200 }
  }
}
