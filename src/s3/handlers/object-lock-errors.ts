/**
 * The errors of object lock, with MinIO's codes and texts (cmd/api-errors.go) where MinIO and AWS agree, and
 * AWS's where they part and s3-tests pins AWS's answer (docs/s3-compatibility.md, "What still differs").
 *
 * @module
 */
import { s3err } from '../api/errors.js'

/** LOCK_ERRORS makes each object lock error; the factories throw nothing. */
export const LOCK_ERRORS = {
  /** A lock operation or lock header on a bucket without object lock (MinIO's ErrInvalidBucketObjectLockConfiguration). */
  bucketMissingLock: () => s3err('InvalidRequest', 'Bucket is missing ObjectLockConfiguration'),
  /** GetObjectLockConfiguration of a bucket without object lock. */
  configNotFound: () => s3err('ObjectLockConfigurationNotFoundError'),
  /** PutObjectLockConfiguration on a bucket whose versioning is not enabled (AWS's answer and text). */
  versioningNotEnabled: () => s3err('InvalidBucketState', 'Versioning must be \'Enabled\' on the bucket to apply a Object Lock configuration'),
  /** PutBucketVersioning Suspended on a lock bucket (MinIO's text; AWS's 409, which s3-tests expects). */
  cannotSuspend: () => s3err('InvalidBucketState', 'An Object Lock configuration is present on this bucket, versioning cannot be suspended.'),
  /** GetObjectRetention / GetObjectLegalHold of a version that has none. */
  noSuchLockConfig: () => s3err('NoSuchObjectLockConfiguration'),
  /** A default retention period that is not a positive whole number within the limits (AWS's code). */
  invalidPeriod: (what: string) => s3err('InvalidRetentionPeriod', `Default retention period must be a positive integer value for '${what}' not larger than ${what === 'Days' ? 36500 : 100}`),
  /** x-amz-object-lock-mode without x-amz-object-lock-retain-until-date or the other way round. */
  headersIncomplete: () => s3err('InvalidRequest', 'x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied'),
  /** A lock mode or legal hold header value that is none of the known ones. */
  unknownMode: () => s3err('InvalidRequest', 'unknown wormMode directive'),
  /** A retain-until date header that is not ISO 8601. */
  badDate: () => s3err('InvalidRequest', 'Date must be provided in ISO 8601 format'),
  /** A retain-until date header in the past. */
  pastDate: () => s3err('InvalidRequest', 'the retain until date must be in the future'),
  /**
   * A locked version's removal or a retention change its lock forbids. AWS (and s3-tests) answer 403
   * AccessDenied; MinIO answers 400 InvalidRequest "Object is WORM protected and cannot be overwritten".
   */
  locked: () => s3err('AccessDenied'),
  /** PutObjectRetention / PutObjectLegalHold without Content-MD5 or a checksum header (MinIO's ErrMissingContentMD5). */
  missingDigest: () => s3err('MissingContentMD5'),
  /** A request document that fails its schema, with MinIO's description of why. */
  malformed: (why?: string) => why === undefined ? s3err('MalformedXML') : s3err('MalformedXML', why),
}
