/**
 * ACLs as MinIO serves them: it keeps none, so Get*Acl answer the owner's FULL_CONTROL, and Put*Acl accept
 * only what changes nothing (the `private` canned ACL, or a document whose first grant is FULL_CONTROL);
 * anything else is 501 NotImplemented. Canned `x-amz-acl` headers on PUT and CreateBucket are ignored.
 *
 * @module
 */
import { s3err } from '../api/errors.js'
import { readSmallBody } from '../api/body.js'
import { header, sendEmpty, sendXml, type Ctx } from '../api/context.js'
import { xmlBodyParser } from '../api/xml.js'
import { requireBucket } from './common.js'
import { loadObject } from './get.js'
import { OWNER_NAME } from './owner.js'

const OWNER_FULL_CONTROL = '<?xml version="1.0" encoding="UTF-8"?>\n<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
  + `<Owner><ID>${OWNER_NAME}</ID><DisplayName>${OWNER_NAME}</DisplayName></Owner><AccessControlList><Grant>`
  + `<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>${OWNER_NAME}</ID><DisplayName>${OWNER_NAME}</DisplayName></Grantee>`
  + '<Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>'

const parseAcl = xmlBodyParser({ arrays: ['Grant'], removeNSPrefix: true })

/** getAcl serves GetBucketAcl and GetObjectAcl; throws S3Error NoSuchBucket, NoSuchKey. */
export function getAcl(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx)
  if (ctx.key !== undefined) loadObject(ctx, bucket, ctx.key)
  sendXml(ctx, OWNER_FULL_CONTROL)
  return Promise.resolve()
}

/** putAcl serves PutBucketAcl and PutObjectAcl; throws S3Error NotImplemented for a grant it cannot keep, MalformedXML. */
export async function putAcl(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx)
  if (ctx.key !== undefined) loadObject(ctx, bucket, ctx.key)
  const canned = header(ctx.req, 'x-amz-acl')
  if (canned === undefined) {
    const doc = parseAcl(await readSmallBody(ctx, 64 * 1024), 'AccessControlPolicy')
    const list = doc.AccessControlList
    const grants = typeof list === 'object' && list !== null ? (list as Record<string, unknown>).Grant : undefined
    const first = Array.isArray(grants) ? grants[0] as Record<string, unknown> | undefined : undefined
    if (first === undefined || first.Permission !== 'FULL_CONTROL') throw s3err('NotImplemented')
  } else if (canned !== 'private') {
    throw s3err('NotImplemented')
  }
  sendEmpty(ctx)
}
