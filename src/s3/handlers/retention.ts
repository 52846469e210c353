/**
 * Per-version retention and legal hold: Get/PutObjectRetention and Get/PutObjectLegalHold, with MinIO's rules
 * for changing a lock (enforceRetentionBypassForPut): an expired or absent retention may be set freely; a
 * GOVERNANCE one may be shortened, changed or removed only with `x-amz-bypass-governance-retention: true` by a
 * caller allowed s3:BypassGovernanceRetention; a COMPLIANCE one may only be extended, by anyone, root included.
 *
 * @module
 */
import { s3err } from '../api/errors.js'
import { header, sendEmpty, sendXml, type Ctx } from '../api/context.js'
import { isAuthorized } from '../api/authorize.js'
import { xmlDocument } from '../api/xml.js'
import type { ObjectRow } from '../storage/meta.js'
import {
  bucketLockOf, isRetained, updateVersionLock, type LegalHoldStatus, type RetentionMode, type VersionLock,
} from '../storage/object-lock.js'
import { requireBucket } from './common.js'
import { loadObject } from './get.js'
import { readLockDocument } from './object-lock-config.js'
import { LOCK_ERRORS } from './object-lock-errors.js'
import { bypassRequested, lockDate, parseIsoDate } from './object-lock-headers.js'
import { versionIdOf } from './versioning.js'

/** A retention as a PutObjectRetention document gives it: both fields, or neither (which removes it). */
interface Retention { mode?: RetentionMode; until?: number }

/** requireLockBucket returns ctx.bucket; throws S3Error NoSuchBucket, InvalidRequest (no object lock on it). */
function requireLockBucket(ctx: Ctx): string {
  const bucket = requireBucket(ctx)
  if (bucketLockOf(ctx.core.meta, bucket) === undefined) throw LOCK_ERRORS.bucketMissingLock()
  return bucket
}

/**
 * requireDigest refuses a lock change that carries neither Content-MD5 nor a checksum of its body, as MinIO's
 * validateLengthAndChecksum does (the body layer verifies whichever is given). Throws S3Error MissingContentMD5.
 */
function requireDigest(ctx: Ctx): void {
  const given = header(ctx.req, 'content-md5') !== undefined
    || Object.keys(ctx.req.headers).some((h) => h.startsWith('x-amz-checksum-') && h !== 'x-amz-checksum-type' && h !== 'x-amz-checksum-algorithm')
    || header(ctx.req, 'x-amz-trailer')?.toLowerCase().startsWith('x-amz-checksum-') === true
  if (!given) throw LOCK_ERRORS.missingDigest()
}

/**
 * lockedVersion finds the version a retention or legal hold request names, in a bucket with object lock.
 * Throws S3Error NoSuchBucket, InvalidRequest (no object lock on the bucket), InvalidArgument (version id),
 * NoSuchKey, NoSuchVersion, MethodNotAllowed (a delete marker).
 */
function lockedVersion(ctx: Ctx): ObjectRow {
  const bucket = requireLockBucket(ctx)
  return loadObject(ctx, bucket, ctx.key!, versionIdOf(ctx.query.get('versionId'))).obj
}

/**
 * parseRetention reads a Retention document as MinIO's ParseObjectRetention does. Throws S3Error MalformedXML
 * (an unknown mode, a mode without a date or the other way round, a date that is not ISO 8601 or is past).
 */
function parseRetention(doc: Record<string, unknown>): Retention {
  const { Mode: mode, RetainUntilDate: date } = doc
  if (mode !== undefined && mode !== 'GOVERNANCE' && mode !== 'COMPLIANCE') throw LOCK_ERRORS.malformed('unknown WORM mode directive')
  if ((mode === undefined) !== (date === undefined)) throw LOCK_ERRORS.malformed()
  if (mode === undefined) return {}
  const until = typeof date === 'string' ? parseIsoDate(date) : undefined
  if (until === undefined) throw LOCK_ERRORS.malformed('date must be provided in ISO 8601 format')
  if (until < Date.now()) throw LOCK_ERRORS.malformed('the retain until date must be in the future')
  return { mode, until }
}

/**
 * retentionChange decides whether a version's retention may become `next` now. `bypass` is true when the
 * caller sent the bypass header and holds s3:BypassGovernanceRetention. Throws S3Error AccessDenied when not.
 */
function retentionChange(current: VersionLock | undefined, next: Retention, bypass: boolean, now: number): void {
  if (!isRetained(current, now)) return
  const weakens = next.mode !== current!.mode || next.until === undefined || next.until < current!.until!
  if (!weakens) return
  if (current!.mode === 'COMPLIANCE' || !bypass) throw LOCK_ERRORS.locked()
}

/** getObjectRetention serves GetObjectRetention; throws S3Error InvalidRequest, NoSuchObjectLockConfiguration, and lookup errors. */
export function getObjectRetention(ctx: Ctx): Promise<void> {
  const lock = lockedVersion(ctx).meta.lock
  if (lock?.mode === undefined || lock.until === undefined) throw LOCK_ERRORS.noSuchLockConfig()
  sendXml(ctx, xmlDocument(['Retention', [['Mode', lock.mode], ['RetainUntilDate', lockDate(lock.until)]]]))
  return Promise.resolve()
}

/**
 * putObjectRetention serves PutObjectRetention (s3:PutObjectRetention, checked by the dispatcher). Throws
 * S3Error InvalidRequest, MalformedXML, AccessDenied (a change the lock forbids), and lookup errors.
 */
export async function putObjectRetention(ctx: Ctx): Promise<void> {
  // MinIO reads the document before it looks the version up: a malformed one is answered as such.
  requireBucket(ctx)
  requireDigest(ctx)
  requireLockBucket(ctx)
  const next = parseRetention(await readLockDocument(ctx, 'Retention'))
  const row = lockedVersion(ctx)
  let bypass = false
  if (bypassRequested(ctx)) {
    bypass = await isAuthorized(ctx, 'PutObjectRetention', { action: 's3:BypassGovernanceRetention' })
  }
  // Decided on the row as it is when written (updateVersionLock re-reads it in its transaction).
  const found = updateVersionLock(ctx.core.meta, row.id, (current) => {
    retentionChange(current, next, bypass, Date.now())
    const lock: VersionLock = current?.legalHold === undefined ? {} : { legalHold: current.legalHold }
    if (next.mode !== undefined) Object.assign(lock, next)
    return lock
  })
  if (!found) throw s3err('NoSuchKey')
  sendEmpty(ctx)
}

/** getObjectLegalHold serves GetObjectLegalHold; throws S3Error InvalidRequest, NoSuchObjectLockConfiguration, and lookup errors. */
export function getObjectLegalHold(ctx: Ctx): Promise<void> {
  const hold = lockedVersion(ctx).meta.lock?.legalHold
  if (hold === undefined) throw LOCK_ERRORS.noSuchLockConfig()
  sendXml(ctx, xmlDocument(['LegalHold', [['Status', hold]]]))
  return Promise.resolve()
}

/**
 * putObjectLegalHold serves PutObjectLegalHold (s3:PutObjectLegalHold, checked by the dispatcher): Status ON or
 * OFF, exactly. Throws S3Error InvalidRequest, MalformedXML, and lookup errors.
 */
export async function putObjectLegalHold(ctx: Ctx): Promise<void> {
  requireBucket(ctx)
  requireDigest(ctx)
  requireLockBucket(ctx)
  const status = (await readLockDocument(ctx, 'LegalHold')).Status
  if (status !== 'ON' && status !== 'OFF') throw LOCK_ERRORS.malformed()
  const row = lockedVersion(ctx)
  const legalHold: LegalHoldStatus = status
  if (!updateVersionLock(ctx.core.meta, row.id, (current) => ({ ...current, legalHold }))) throw s3err('NoSuchKey')
  sendEmpty(ctx)
}
