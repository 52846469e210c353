/**
 * The handler of every S3 operation (the table the dispatcher runs).
 *
 * @module
 */
import type { S3Operation } from '../api/actions.js'
import type { Ctx } from '../api/context.js'
import {
  createBucket, deleteBucket, getBucketLocation, headBucket, listBuckets, subresource,
} from './buckets.js'
import { copyObject } from './copy.js'
import { deleteObject, deleteObjects } from './delete.js'
import { getObject } from './get.js'
import { listObjectsV1, listObjectsV2 } from './list.js'
import { listObjectVersions } from './list-versions.js'
import { abortMultipartUpload, createMultipartUpload, uploadPart, uploadPartCopy } from './multipart.js'
import { completeMultipartUpload } from './multipart-complete.js'
import { listMultipartUploads, listParts } from './multipart-list.js'
import { putObject } from './put.js'
import { getBucketVersioning, putBucketVersioning } from './versioning.js'
import { getAcl, putAcl } from './acl.js'
import {
  deleteBucketTagging, deleteObjectTagging, getBucketTagging, getObjectTagging, putBucketTagging, putObjectTagging,
} from './tagging.js'
import { postObject } from './post-object.js'
import { getObjectLockConfiguration, putObjectLockConfiguration } from './object-lock-config.js'
import { getObjectLegalHold, getObjectRetention, putObjectLegalHold, putObjectRetention } from './retention.js'
import { getObjectAttributes } from './object-attributes.js'
import { deleteBucketLifecycle, getBucketLifecycle, putBucketLifecycle } from './lifecycle.js'
import { getBucketPolicyStatus } from './policy-status.js'
import { fixedSubresourceHandlers } from './fixed-subresources.js'

type Handler = (ctx: Ctx) => Promise<void>

/** handlers maps operations to handlers; subresource operations go through `subresource`. */
export const handlers: Record<S3Operation, Handler> & { subresource: (ctx: Ctx, name: string) => Promise<void> } = {
  ListBuckets: listBuckets,
  CreateBucket: createBucket,
  DeleteBucket: deleteBucket,
  HeadBucket: headBucket,
  GetBucketLocation: getBucketLocation,
  GetBucketVersioning: getBucketVersioning,
  PutBucketVersioning: putBucketVersioning,
  ListObjects: listObjectsV1,
  ListObjectsV2: listObjectsV2,
  ListObjectVersions: listObjectVersions,
  ListMultipartUploads: listMultipartUploads,
  DeleteObjects: deleteObjects,
  PutObject: putObject,
  CopyObject: copyObject,
  GetObject: (ctx) => getObject(ctx, false),
  HeadObject: (ctx) => getObject(ctx, true),
  DeleteObject: deleteObject,
  CreateMultipartUpload: createMultipartUpload,
  UploadPart: uploadPart,
  UploadPartCopy: uploadPartCopy,
  CompleteMultipartUpload: completeMultipartUpload,
  AbortMultipartUpload: abortMultipartUpload,
  ListParts: listParts,
  GetBucketEncryption: (ctx) => subresource(ctx, 'encryption'),
  PutBucketEncryption: (ctx) => subresource(ctx, 'encryption'),
  DeleteBucketEncryption: (ctx) => subresource(ctx, 'encryption'),
  GetBucketPolicy: (ctx) => subresource(ctx, 'policy'),
  PutBucketPolicy: (ctx) => subresource(ctx, 'policy'),
  DeleteBucketPolicy: (ctx) => subresource(ctx, 'policy'),
  GetObjectTagging: getObjectTagging,
  PutObjectTagging: putObjectTagging,
  DeleteObjectTagging: deleteObjectTagging,
  GetBucketTagging: getBucketTagging,
  PutBucketTagging: putBucketTagging,
  DeleteBucketTagging: deleteBucketTagging,
  GetObjectLockConfiguration: getObjectLockConfiguration,
  PutObjectLockConfiguration: putObjectLockConfiguration,
  GetObjectRetention: getObjectRetention,
  PutObjectRetention: putObjectRetention,
  GetObjectLegalHold: getObjectLegalHold,
  PutObjectLegalHold: putObjectLegalHold,
  GetObjectAttributes: getObjectAttributes,
  GetBucketAcl: getAcl,
  PutBucketAcl: putAcl,
  GetObjectAcl: getAcl,
  PutObjectAcl: putAcl,
  PostObject: postObject,
  GetBucketLifecycleConfiguration: getBucketLifecycle,
  PutBucketLifecycleConfiguration: putBucketLifecycle,
  DeleteBucketLifecycle: deleteBucketLifecycle,
  GetBucketPolicyStatus: getBucketPolicyStatus,
  ...fixedSubresourceHandlers,
  subresource,
}
