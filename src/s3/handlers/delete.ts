/**
 * DeleteObject and DeleteObjects (multi-object delete, authorized per key).
 *
 * @module
 */
import { S3Error, s3err } from '../errors.js'
import { readSmallBody } from '../http/body.js'
import { header, sendEmpty, sendXml, type Ctx } from '../http/context.js'
import { authorize } from '../http/dispatch.js'
import { xmlBodyParser, xmlDocument, type XNode } from '../xml.js'
import { requireBucket } from './common.js'

/** deleteObject serves DeleteObject: 204 whether or not the key existed (S3 semantics). */
export function deleteObject(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx)
  const versionId = ctx.query.get('versionId')
  if (versionId !== undefined && versionId !== 'null') throw s3err('NoSuchVersion')
  ctx.core.meta.deleteObject(bucket, ctx.key!)
  sendEmpty(ctx, 204)
  return Promise.resolve()
}

const MAX_DELETE_KEYS = 1000

// Keys are byte strings: one made of spaces, or led or trailed by them, is a key, so the text is not trimmed.
const parseDelete = xmlBodyParser({ arrays: ['Object'], trimValues: false })

/** deleteObjects serves DeleteObjects; throws S3Error MalformedXML, InvalidRequest (missing Content-MD5/checksum). */
export async function deleteObjects(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx)
  const hasDigest = header(ctx.req, 'content-md5') !== undefined
    || Object.keys(ctx.req.headers).some((h) => h.startsWith('x-amz-checksum-') || h === 'x-amz-sdk-checksum-algorithm' || h === 'x-amz-trailer')
  if (!hasDigest) throw s3err('InvalidRequest', 'Missing required header for this request: Content-MD5')
  const body = await readSmallBody(ctx)
  const doc = parseDelete(body, 'Delete')
  const quiet = String(doc.Quiet ?? 'false').trim().toLowerCase() === 'true'
  const objects = doc.Object
  if (!Array.isArray(objects) || objects.length === 0 || objects.length > MAX_DELETE_KEYS) throw s3err('MalformedXML')
  const results: XNode[] = []
  for (const entry of objects as Array<Record<string, unknown>>) {
    const key = entry.Key
    if (typeof key !== 'string' || key === '') throw s3err('MalformedXML')
    const versionId = typeof entry.VersionId === 'string' ? entry.VersionId.trim() : undefined
    try {
      if (versionId !== undefined && versionId !== 'null') throw s3err('NoSuchVersion')
      await authorize(ctx, 'DeleteObject', { key })
      ctx.core.meta.deleteObject(bucket, key)
      if (!quiet) {
        results.push(['Deleted', [['Key', key], versionId !== undefined ? ['VersionId', versionId] : undefined]])
      }
    } catch (err) {
      const e = err instanceof S3Error ? err : s3err('InternalError')
      results.push(['Error', [['Key', key], versionId !== undefined ? ['VersionId', versionId] : undefined, ['Code', e.code], ['Message', e.message]]])
    }
  }
  sendXml(ctx, xmlDocument(['DeleteResult', results]))
}
