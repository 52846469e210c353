/**
 * Bucket operations: ListBuckets, CreateBucket (name rules), DeleteBucket (only when empty), HeadBucket,
 * GetBucketLocation, and bucket subresources served by extensions.
 *
 * @module
 */
import { s3err } from '../api/errors.js'
import { conditionsOf } from '../api/conditions.js'
import { authorize, isAuthorized } from '../api/authorize.js'
import { readSmallBody } from '../api/body.js'
import { sendEmpty, sendXml, type Ctx } from '../api/context.js'
import { parseXml, xmlDocument, type XNode } from '../api/xml.js'
import { requireBucket } from './common.js'
import { OWNER } from './owner.js'
import { isoDate } from './object-meta.js'
import { lockRequestedAtCreate } from './object-lock-config.js'
import { createLockedBucket } from '../storage/object-lock.js'

/** validBucketName tells whether a name follows S3's bucket naming rules. */
function validBucketName(name: string): boolean {
  return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) && !name.includes('..') && !name.includes('.-')
    && !name.includes('-.') && !/^\d+\.\d+\.\d+\.\d+$/.test(name) && !name.startsWith('xn--')
}

/**
 * listBuckets serves ListBuckets. Without s3:ListAllMyBuckets it lists, as MinIO does, the buckets the caller may
 * s3:ListBucket or s3:GetBucketLocation (so `readonly` users can list); none → AccessDenied.
 */
export async function listBuckets(ctx: Ctx): Promise<void> {
  let all = ctx.core.meta.listBuckets()
  const denied = !await isAuthorized(ctx, 'ListBuckets')
  if (denied) {
    // MinIO filters through IAM only: anonymous callers are refused, whatever bucket policies grant.
    if (ctx.principal === null) throw s3err('AccessDenied')
    const may = (bucket: string, action: 's3:ListBucket' | 's3:GetBucketLocation'): Promise<boolean> =>
      authorize(ctx, 'ListBuckets', { action, bucket, key: undefined, conditions: { ...conditionsOf(ctx), 's3:prefix': [''], 's3:delimiter': ['/'] } })
        .then(() => true, () => false)
    const kept = []
    for (const b of all) if (await may(b.name, 's3:ListBucket') || await may(b.name, 's3:GetBucketLocation')) kept.push(b)
    if (kept.length === 0) throw s3err('AccessDenied')
    all = kept
  }
  const buckets = all.map((b): XNode => ['Bucket', [['Name', b.name], ['CreationDate', isoDate(b.created)]]])
  sendXml(ctx, xmlDocument(['ListAllMyBucketsResult', [OWNER, ['Buckets', buckets]]]))
}

/** createBucket serves CreateBucket; throws S3Error InvalidBucketName, BucketAlreadyOwnedByYou, MalformedXML. */
export async function createBucket(ctx: Ctx): Promise<void> {
  const bucket = ctx.bucket!
  if (!validBucketName(bucket)) throw s3err('InvalidBucketName')
  const locked = await lockRequestedAtCreate(ctx)
  const body = await readSmallBody(ctx)
  if (body.length > 0) {
    const conf = parseXml(body, 'CreateBucketConfiguration')
    const loc = conf.LocationConstraint
    if (loc !== undefined && typeof loc !== 'string') throw s3err('MalformedXML')
    if (typeof loc === 'string' && loc !== '' && ctx.core.region !== '' && loc !== ctx.core.region) {
      throw s3err('InvalidArgument', 'The specified location-constraint is not valid', { ArgumentName: 'LocationConstraint' })
    }
  }
  const created = locked ? createLockedBucket(ctx.core.meta, bucket) : ctx.core.meta.createBucket(bucket)
  if (!created) throw s3err('BucketAlreadyOwnedByYou')
  ctx.res.setHeader('location', `/${bucket}`)
  sendEmpty(ctx)
}

/** deleteBucket serves DeleteBucket; throws S3Error NoSuchBucket, BucketNotEmpty. */
export function deleteBucket(ctx: Ctx): Promise<void> {
  const result = ctx.core.meta.deleteBucket(ctx.bucket!)
  if (result === 'missing') throw s3err('NoSuchBucket')
  if (result === 'not-empty') throw s3err('BucketNotEmpty')
  void ctx.core.blobs.collect()
  sendEmpty(ctx, 204)
  return Promise.resolve()
}

/** headBucket serves HeadBucket; throws S3Error NoSuchBucket. */
export function headBucket(ctx: Ctx): Promise<void> {
  requireBucket(ctx)
  ctx.res.setHeader('x-amz-bucket-region', ctx.core.region || 'us-east-1')
  sendEmpty(ctx)
  return Promise.resolve()
}

/** getBucketLocation serves GetBucketLocation (empty for us-east-1, as S3). */
export function getBucketLocation(ctx: Ctx): Promise<void> {
  requireBucket(ctx)
  const region = ctx.core.region === 'us-east-1' ? '' : ctx.core.region
  sendXml(ctx, xmlDocument(['LocationConstraint', region]))
  return Promise.resolve()
}

/** subresource hands a bucket subresource request to its extension handler (501 when none is installed). */
export async function subresource(ctx: Ctx, name: string): Promise<void> {
  const bucket = requireBucket(ctx)
  const handler = ctx.core.subresources[name]
  if (handler === undefined) {
    if (ctx.method === 'GET' && name === 'encryption') throw s3err('ServerSideEncryptionConfigurationNotFoundError')
    if (ctx.method === 'GET' && name === 'policy') throw s3err('NoSuchBucketPolicy')
    throw s3err('NotImplemented', 'A header or query you provided requested a function that is not implemented.')
  }
  const body = ctx.method === 'PUT' ? await readSmallBody(ctx) : Buffer.alloc(0)
  const out = await handler({
    method: ctx.method as 'GET' | 'PUT' | 'DELETE', bucket, principal: ctx.principal, headers: ctx.req.headers, body,
    bucketConfig: ctx.core.meta,
  })
  ctx.res.statusCode = out.status
  for (const [k, v] of Object.entries(out.headers ?? {})) ctx.res.setHeader(k, v)
  const payload = out.body === undefined ? Buffer.alloc(0) : Buffer.from(out.body)
  if (out.status !== 204) ctx.res.setHeader('content-length', String(payload.length))
  ctx.res.end(payload)
}
