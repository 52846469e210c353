/**
 * DeleteObject and DeleteObjects (multi-object delete, authorized per key).
 *
 * @module
 */
import { setImmediate as nextTurn } from 'node:timers/promises'
import { S3Error, s3err } from '../api/errors.js'
import { readSmallBody } from '../api/body.js'
import { header, sendEmpty, sendXml, type Ctx } from '../api/context.js'
import { authorize } from '../api/authorize.js'
import { xmlBodyParser, xmlDocument, type XNode } from '../api/xml.js'
import { isStorageFull } from '../../lib/storage-full.js'
import { deleteLatest, isKeyStored, NULL_VERSION, type DeleteOutcome } from '../storage/versions.js'
import { deleteVersionUnlessLocked } from '../storage/object-lock.js'
import { bypassRequested } from './object-lock-headers.js'
import { LOCK_ERRORS } from './object-lock-errors.js'
import { requireBucket } from './common.js'
import { checkKey } from './object-meta.js'
import { setVersionHeaders, uuidProblem, versionIdOf } from './versioning.js'

/**
 * checkDeletedKey refuses a key no write may store (checkKey: too long, a path alias, a lone surrogate) unless
 * something is stored under it (an older version of keyhold-s3 stored some such names): a delete in a
 * versioned bucket writes a delete marker, and such a key, a megabyte long or an alias of another, would then
 * be planted through DeleteObject, past the checks of every write (found by an attack). Throws S3Error
 * KeyTooLongError or InvalidObjectName.
 */
function checkDeletedKey(ctx: Ctx, bucket: string, key: string): void {
  try {
    checkKey(key)
  } catch (err) {
    if (!isKeyStored(ctx.core.meta, bucket, key)) throw err
  }
}

/**
 * removeObject deletes a key's current version (a delete marker in a versioned bucket) or, given a version id,
 * that version for good unless its object lock forbids it; returns what happened. A governance-locked version
 * goes only with `x-amz-bypass-governance-retention: true` from a caller allowed s3:BypassGovernanceRetention.
 * Throws S3Error AccessDenied (a locked version, or the bypass not granted), KeyTooLongError, InvalidObjectName.
 */
async function removeObject(ctx: Ctx, bucket: string, key: string, versionId: string | undefined): Promise<DeleteOutcome> {
  checkDeletedKey(ctx, bucket, key)
  if (versionId === undefined) return deleteLatest(ctx.core.meta, bucket, key)
  const bypass = bypassRequested(ctx)
  let outcome = deleteVersionUnlessLocked(ctx.core.meta, bucket, key, versionId, bypass, false)
  if (outcome === 'bypass') {
    await authorize(ctx, 'DeleteObject', { action: 's3:BypassGovernanceRetention', key, versionId })
    // Decided again on the version as it is now: a legal hold set meanwhile still stops the delete.
    outcome = deleteVersionUnlessLocked(ctx.core.meta, bucket, key, versionId, bypass, true)
  }
  if (outcome === 'locked' || outcome === 'bypass') throw LOCK_ERRORS.locked()
  return outcome
}

/**
 * deleteObject serves DeleteObject: 204 whether or not the key or version existed (S3 semantics), with the
 * created or removed version's id and x-amz-delete-marker when it is a delete marker. Throws S3Error
 * NoSuchBucket, InvalidArgument (a version id that is no UUID), AccessDenied (a version its object lock keeps).
 */
export async function deleteObject(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx)
  const outcome = await removeObject(ctx, bucket, ctx.key!, versionIdOf(ctx.query.get('versionId')))
  setVersionHeaders(ctx.res, outcome.versionId, outcome.deleteMarker)
  sendEmpty(ctx, 204)
}

const MAX_DELETE_KEYS = 1000
/**
 * How long DeleteObjects works on its keys before it lets the event loop serve other requests. Each key is its
 * own durable commit (and in a versioned bucket always a write, a marker): 1,000 of them back to back held every
 * other request of the worker for half a second (found by an attack).
 */
const DELETE_SLICE_MS = 10

/** deletedEntry renders a `<Deleted>` result in MinIO's element order (DeletedObject). */
function deletedEntry(key: string, versionId: string | undefined, outcome: DeleteOutcome): Array<XNode | undefined> {
  const marker = outcome.deleteMarker && outcome.versionId !== undefined
  return [
    marker ? ['DeleteMarker', true] : undefined,
    // A marker just created has its own id; a version removed by id names itself.
    marker && outcome.versionId !== NULL_VERSION ? ['DeleteMarkerVersionId', outcome.versionId!] : undefined,
    ['Key', key],
    versionId !== undefined ? ['VersionId', versionId] : undefined,
  ]
}

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
  // Every entry is checked before any is acted on: a malformed document deletes nothing.
  const entries = (objects as Array<Record<string, unknown>>).map(({ Key: key, VersionId: version }) => {
    // A VersionId with child elements is no version id: refuse the document rather than delete the latest.
    if (typeof key !== 'string' || key === '' || (version !== undefined && typeof version !== 'string')) throw s3err('MalformedXML')
    const id = typeof version === 'string' ? version.trim() : undefined
    return { key, versionId: id === undefined || id === '' ? undefined : id }
  })
  const results: XNode[] = []
  let sliceStart = performance.now()
  for (const { key, versionId } of entries) {
    if (performance.now() - sliceStart >= DELETE_SLICE_MS) {
      // Between keys only: each key is still authorized and durably deleted (or not) on its own, in order.
      await nextTurn()
      sliceStart = performance.now()
    }
    try {
      const problem = versionId === undefined ? undefined : uuidProblem(versionId)
      if (problem !== undefined) throw s3err('NoSuchVersion', `The specified version does not exist. (${problem})`)
      await authorize(ctx, 'DeleteObject', { key, versionId })
      const outcome = await removeObject(ctx, bucket, key, versionId)
      if (!quiet) results.push(['Deleted', deletedEntry(key, versionId, outcome)])
    } catch (err) {
      // A full disk is the operator's to fix, as for a single DeleteObject (api/context.ts), not an internal error.
      const e = err instanceof S3Error ? err : s3err(isStorageFull(err) ? 'XMinioStorageFull' : 'InternalError')
      results.push(['Error', [['Key', key], versionId !== undefined ? ['VersionId', versionId] : undefined, ['Code', e.code], ['Message', e.message]]])
    }
  }
  sendXml(ctx, xmlDocument(['DeleteResult', results]))
}
