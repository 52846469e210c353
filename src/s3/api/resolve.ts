/**
 * Maps an HTTP request to the S3 operation it calls (method, bucket, key, subresource query), as AWS's API
 * reference defines the requests.
 *
 * @module
 */
import type { S3Operation } from './actions.js'
import { s3err } from './errors.js'
import { lateOperation } from './resolve-late.js'
import { fixedOperation } from './resolve-fixed.js'

/**
 * Subresources keyhold-s3 does not implement: answered 501 NotImplemented rather than misread (but for the reads
 * resolve-fixed.ts answers as MinIO does).
 */
const UNSUPPORTED = new Set([
  'cors', 'website', 'logging', 'notification', 'replication', 'object-lock',
  'retention', 'legal-hold', 'requestPayment', 'accelerate', 'analytics', 'inventory', 'metrics',
  'intelligent-tiering', 'ownershipControls', 'publicAccessBlock', 'torrent', 'restore', 'select', 'attributes',
  'replication-metrics',
])

/** A resolved operation: either a core operation or a subresource served by an extension. */
export type Resolved = { op: S3Operation; subresource?: string }

const SUBRESOURCE_OPS: Record<string, Partial<Record<string, S3Operation>>> = {
  encryption: { GET: 'GetBucketEncryption', PUT: 'PutBucketEncryption', DELETE: 'DeleteBucketEncryption' },
  policy: { GET: 'GetBucketPolicy', PUT: 'PutBucketPolicy', DELETE: 'DeleteBucketPolicy' },
}

/**
 * resolveOperation finds the operation; throws S3Error MethodNotAllowed for unknown method/resource
 * combinations and NotImplemented for unsupported subresources.
 */
export function resolveOperation(method: string, bucket: string | undefined, key: string | undefined, q: Map<string, string>): Resolved {
  const late = bucket === undefined ? undefined : lateOperation(method, key, q)
  if (late !== undefined) return { op: late }
  const fixed = bucket === undefined ? undefined : fixedOperation(method, key, q)
  if (fixed !== undefined) return { op: fixed }
  for (const name of q.keys()) if (UNSUPPORTED.has(name)) throw s3err('NotImplemented', 'A header or query you provided requested a function that is not implemented.')
  // Lifecycle and policy status are bucket subresources; on an object they name nothing keyhold-s3 serves.
  if (key !== undefined && (q.has('lifecycle') || q.has('policyStatus'))) throw s3err('NotImplemented', 'A header or query you provided requested a function that is not implemented.')
  if (bucket === undefined) {
    if (method === 'GET') return { op: 'ListBuckets' }
    throw s3err('MethodNotAllowed')
  }
  if (key === undefined) return bucketOperation(method, q)
  const tagOrAcl = objectTaggingOrAcl(method, q)
  if (tagOrAcl !== undefined) return tagOrAcl
  switch (method) {
    case 'GET': return { op: q.has('uploadId') ? 'ListParts' : 'GetObject' }
    case 'HEAD': return { op: 'HeadObject' }
    case 'PUT':
      if (q.has('partNumber') || q.has('uploadId')) return { op: 'UploadPart' }
      return { op: 'PutObject' }
    case 'POST':
      if (q.has('uploads')) return { op: 'CreateMultipartUpload' }
      if (q.has('uploadId')) return { op: 'CompleteMultipartUpload' }
      break
    case 'DELETE': return { op: q.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject' }
  }
  throw s3err('MethodNotAllowed')
}

const TAGGING_OPS = {
  object: { GET: 'GetObjectTagging', PUT: 'PutObjectTagging', DELETE: 'DeleteObjectTagging' },
  bucket: { GET: 'GetBucketTagging', PUT: 'PutBucketTagging', DELETE: 'DeleteBucketTagging' },
} as const satisfies Record<string, Record<string, S3Operation>>
const LIFECYCLE_OPS: Record<string, S3Operation> = {
  GET: 'GetBucketLifecycleConfiguration', PUT: 'PutBucketLifecycleConfiguration', DELETE: 'DeleteBucketLifecycle',
}
const ACL_OPS = {
  object: { GET: 'GetObjectAcl', PUT: 'PutObjectAcl' },
  bucket: { GET: 'GetBucketAcl', PUT: 'PutBucketAcl' },
} as const satisfies Record<string, Record<string, S3Operation>>

/** The ?tagging and ?acl operations of an object or bucket; throws S3Error MethodNotAllowed for other methods. */
function objectTaggingOrAcl(method: string, q: Map<string, string>, on: 'object' | 'bucket' = 'object'): Resolved | undefined {
  const table: Record<string, S3Operation> | undefined = q.has('tagging') ? TAGGING_OPS[on] : q.has('acl') ? ACL_OPS[on] : undefined
  if (table === undefined) return undefined
  const op = table[method]
  if (op === undefined) throw s3err('MethodNotAllowed')
  return { op }
}

function bucketOperation(method: string, q: Map<string, string>): Resolved {
  const tagOrAcl = objectTaggingOrAcl(method, q, 'bucket')
  if (tagOrAcl !== undefined) return tagOrAcl
  if (q.has('lifecycle')) {
    const op = LIFECYCLE_OPS[method]
    if (op === undefined) throw s3err('MethodNotAllowed')
    return { op }
  }
  if (q.has('policyStatus')) {
    if (method !== 'GET') throw s3err('MethodNotAllowed')
    return { op: 'GetBucketPolicyStatus' }
  }
  for (const [sub, ops] of Object.entries(SUBRESOURCE_OPS)) {
    if (!q.has(sub)) continue
    const op = ops[method]
    if (op === undefined) throw s3err('MethodNotAllowed')
    return { op, subresource: sub }
  }
  switch (method) {
    case 'GET':
      if (q.has('location')) return { op: 'GetBucketLocation' }
      if (q.has('versioning')) return { op: 'GetBucketVersioning' }
      if (q.has('versions')) return { op: 'ListObjectVersions' }
      if (q.has('uploads')) return { op: 'ListMultipartUploads' }
      if (q.get('list-type') === '2') return { op: 'ListObjectsV2' }
      return { op: 'ListObjects' }
    case 'HEAD': return { op: 'HeadBucket' }
    case 'PUT':
      if (q.has('versioning')) return { op: 'PutBucketVersioning' }
      return { op: 'CreateBucket' }
    case 'DELETE': return { op: 'DeleteBucket' }
    case 'POST':
      if (q.has('delete')) return { op: 'DeleteObjects' }
      // A POST to the bucket itself is a browser form upload (presigned POST policy).
      return { op: 'PostObject' }
  }
  throw s3err('MethodNotAllowed')
}
