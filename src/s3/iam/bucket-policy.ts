/**
 * The bucket `policy` subresource: Put/Get/DeleteBucketPolicy, stored in the core's per-bucket
 * configuration under `policy` and consulted by the authorizer for anonymous requests.
 *
 * @module
 */
import { s3err } from '../api/errors.js'
import type { SubresourceHandler } from '../extensions.js'
import { MAX_POLICY_SIZE, MalformedPolicyError, parsePolicy } from './policy/index.js'

/** BUCKET_POLICY_CONFIG is the bucket-config entry holding the policy JSON. */
const BUCKET_POLICY_CONFIG = 'policy'

/**
 * bucketPolicyHandler serves `GET|PUT|DELETE /{bucket}?policy`. Throws S3Error: NoSuchBucketPolicy,
 * MalformedPolicy (the parser's precise message), PolicyTooLarge, MissingContentLength.
 */
export const bucketPolicyHandler: SubresourceHandler = (req) => {
  const store = req.bucketConfig
  if (req.method === 'GET') {
    const text = store.get(req.bucket, BUCKET_POLICY_CONFIG)
    if (text === undefined) throw s3err('NoSuchBucketPolicy', undefined, { BucketName: req.bucket })
    return Promise.resolve({ status: 200, headers: { 'content-type': 'application/json' }, body: text })
  }
  if (req.method === 'DELETE') {
    store.delete(req.bucket, BUCKET_POLICY_CONFIG)
    return Promise.resolve({ status: 204 })
  }
  if (req.body.length === 0) throw s3err('MissingContentLength')
  if (req.body.length > MAX_POLICY_SIZE) throw s3err('PolicyTooLarge')
  try {
    parsePolicy(req.body, { bucket: req.bucket, knownConditionKeysOnly: true })
  } catch (err) {
    if (err instanceof MalformedPolicyError) throw s3err('MalformedPolicy', err.message)
    throw err
  }
  store.set(req.bucket, BUCKET_POLICY_CONFIG, req.body.toString('utf8'))
  return Promise.resolve({ status: 204 })
}
