/**
 * The S3 operations keyhold-s3 serves and the IAM action each one is authorized as: one table, the map of the
 * S3 API. Handlers are looked up by operation; authorizers see only the action.
 *
 * @module
 */

/** S3Operation names an S3 API call as AWS's API reference does. */
export type S3Operation =
  | 'ListBuckets'
  | 'CreateBucket'
  | 'DeleteBucket'
  | 'HeadBucket'
  | 'GetBucketLocation'
  | 'GetBucketVersioning'
  | 'PutBucketVersioning'
  | 'ListObjects'
  | 'ListObjectsV2'
  | 'ListObjectVersions'
  | 'ListMultipartUploads'
  | 'DeleteObjects'
  | 'PutObject'
  | 'CopyObject'
  | 'GetObject'
  | 'HeadObject'
  | 'DeleteObject'
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'UploadPartCopy'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListParts'
  | 'GetBucketEncryption'
  | 'PutBucketEncryption'
  | 'DeleteBucketEncryption'
  | 'GetBucketPolicy'
  | 'PutBucketPolicy'
  | 'DeleteBucketPolicy'
  | 'GetObjectTagging'
  | 'PutObjectTagging'
  | 'DeleteObjectTagging'
  | 'GetBucketTagging'
  | 'PutBucketTagging'
  | 'DeleteBucketTagging'
  | 'GetObjectLockConfiguration'
  | 'PutObjectLockConfiguration'
  | 'GetObjectRetention'
  | 'PutObjectRetention'
  | 'GetObjectLegalHold'
  | 'PutObjectLegalHold'
  | 'GetObjectAttributes'
  | 'GetBucketAcl'
  | 'PutBucketAcl'
  | 'GetObjectAcl'
  | 'PutObjectAcl'
  | 'PostObject'
  | 'GetBucketLifecycleConfiguration'
  | 'PutBucketLifecycleConfiguration'
  | 'DeleteBucketLifecycle'
  | 'GetBucketPolicyStatus'
  | 'GetBucketCors'
  | 'GetBucketWebsite'
  | 'DeleteBucketWebsite'
  | 'GetBucketAccelerateConfiguration'
  | 'GetBucketRequestPayment'
  | 'GetBucketLogging'
  | 'GetBucketReplication'
  | 'GetBucketNotificationConfiguration'

/** S3Action is an IAM action string as used in policies. */
export type S3Action =
  | 's3:ListAllMyBuckets'
  | 's3:CreateBucket'
  | 's3:DeleteBucket'
  | 's3:ListBucket'
  | 's3:GetBucketLocation'
  | 's3:GetBucketVersioning'
  | 's3:PutBucketVersioning'
  | 's3:ListBucketVersions'
  | 's3:ListBucketMultipartUploads'
  | 's3:PutObject'
  | 's3:GetObject'
  | 's3:DeleteObject'
  | 's3:AbortMultipartUpload'
  | 's3:ListMultipartUploadParts'
  | 's3:GetEncryptionConfiguration'
  | 's3:PutEncryptionConfiguration'
  | 's3:GetBucketPolicy'
  | 's3:PutBucketPolicy'
  | 's3:DeleteBucketPolicy'
  | 's3:GetObjectTagging'
  | 's3:PutObjectTagging'
  | 's3:DeleteObjectTagging'
  | 's3:GetBucketTagging'
  | 's3:PutBucketTagging'
  | 's3:GetBucketObjectLockConfiguration'
  | 's3:PutBucketObjectLockConfiguration'
  | 's3:GetObjectRetention'
  | 's3:PutObjectRetention'
  | 's3:GetObjectLegalHold'
  | 's3:PutObjectLegalHold'
  | 's3:BypassGovernanceRetention'
  | 's3:GetObjectAttributes'
  | 's3:GetLifecycleConfiguration'
  | 's3:PutLifecycleConfiguration'
  | 's3:GetBucketPolicyStatus'
  | 's3:GetReplicationConfiguration'
  | 's3:GetBucketNotification'

/** ACTIONS maps every operation to the action it is authorized as (MinIO's mapping). */
export const ACTIONS: Readonly<Record<S3Operation, S3Action>> = {
  ListBuckets: 's3:ListAllMyBuckets',
  CreateBucket: 's3:CreateBucket',
  DeleteBucket: 's3:DeleteBucket',
  HeadBucket: 's3:ListBucket',
  GetBucketLocation: 's3:GetBucketLocation',
  GetBucketVersioning: 's3:GetBucketVersioning',
  PutBucketVersioning: 's3:PutBucketVersioning',
  ListObjects: 's3:ListBucket',
  ListObjectsV2: 's3:ListBucket',
  ListObjectVersions: 's3:ListBucketVersions',
  ListMultipartUploads: 's3:ListBucketMultipartUploads',
  // DeleteObjects is authorized per key as s3:DeleteObject (as MinIO does); this entry covers the call itself.
  DeleteObjects: 's3:DeleteObject',
  PutObject: 's3:PutObject',
  CopyObject: 's3:PutObject',
  GetObject: 's3:GetObject',
  HeadObject: 's3:GetObject',
  DeleteObject: 's3:DeleteObject',
  CreateMultipartUpload: 's3:PutObject',
  UploadPart: 's3:PutObject',
  UploadPartCopy: 's3:PutObject',
  CompleteMultipartUpload: 's3:PutObject',
  AbortMultipartUpload: 's3:AbortMultipartUpload',
  ListParts: 's3:ListMultipartUploadParts',
  GetBucketEncryption: 's3:GetEncryptionConfiguration',
  PutBucketEncryption: 's3:PutEncryptionConfiguration',
  DeleteBucketEncryption: 's3:PutEncryptionConfiguration',
  GetBucketPolicy: 's3:GetBucketPolicy',
  PutBucketPolicy: 's3:PutBucketPolicy',
  DeleteBucketPolicy: 's3:DeleteBucketPolicy',
  GetObjectTagging: 's3:GetObjectTagging',
  PutObjectTagging: 's3:PutObjectTagging',
  DeleteObjectTagging: 's3:DeleteObjectTagging',
  GetBucketTagging: 's3:GetBucketTagging',
  PutBucketTagging: 's3:PutBucketTagging',
  GetObjectLockConfiguration: 's3:GetBucketObjectLockConfiguration',
  PutObjectLockConfiguration: 's3:PutBucketObjectLockConfiguration',
  GetObjectRetention: 's3:GetObjectRetention',
  PutObjectRetention: 's3:PutObjectRetention',
  GetObjectLegalHold: 's3:GetObjectLegalHold',
  PutObjectLegalHold: 's3:PutObjectLegalHold',
  // Asked together with s3:GetObject inside the handler, as MinIO does.
  GetObjectAttributes: 's3:GetObjectAttributes',
  // MinIO authorizes these three with neighbouring actions: it keeps no separate permission for them.
  DeleteBucketTagging: 's3:PutBucketTagging',
  GetBucketAcl: 's3:GetBucketPolicy',
  PutBucketAcl: 's3:PutBucketPolicy',
  GetObjectAcl: 's3:GetObject',
  PutObjectAcl: 's3:PutObject',
  // A browser form upload is authorized inside its handler, as the policy's signer (post-policy.ts).
  PostObject: 's3:PutObject',
  GetBucketLifecycleConfiguration: 's3:GetLifecycleConfiguration',
  PutBucketLifecycleConfiguration: 's3:PutLifecycleConfiguration',
  // MinIO keeps no separate permission for removing a lifecycle configuration.
  DeleteBucketLifecycle: 's3:PutLifecycleConfiguration',
  GetBucketPolicyStatus: 's3:GetBucketPolicyStatus',
  // Configurations keyhold-s3 does not keep (fixed-subresources.ts). MinIO's dummy handlers re-purpose the bucket
  // policy actions for them; replication and notification have actions of their own.
  GetBucketCors: 's3:GetBucketPolicy',
  GetBucketWebsite: 's3:GetBucketPolicy',
  // MinIO asks nothing of this no-op; removing a bucket configuration is asked as removing its policy, so an
  // anonymous caller cannot tell an existing bucket by it.
  DeleteBucketWebsite: 's3:DeleteBucketPolicy',
  GetBucketAccelerateConfiguration: 's3:GetBucketPolicy',
  GetBucketRequestPayment: 's3:GetBucketPolicy',
  GetBucketLogging: 's3:GetBucketPolicy',
  GetBucketReplication: 's3:GetReplicationConfiguration',
  GetBucketNotificationConfiguration: 's3:GetBucketNotification',
}
