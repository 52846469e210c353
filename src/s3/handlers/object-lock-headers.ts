/**
 * Object lock on writes and reads: the `x-amz-object-lock-*` headers of PutObject, CopyObject and
 * CreateMultipartUpload (or the bucket's default retention) become the new version's lock, as MinIO's
 * checkPutObjectLockAllowed decides; GET and HEAD answer a version's lock to callers allowed to read it.
 *
 * @module
 */
import type { ServerResponse } from 'node:http'
import { header, type Ctx } from '../api/context.js'
import { authorize, isAuthorized } from '../api/authorize.js'
import {
  bucketLockOf, defaultUntil, type LegalHoldStatus, type RetentionMode, type VersionLock,
} from '../storage/object-lock.js'
import { LOCK_ERRORS } from './object-lock-errors.js'

const MODE = 'x-amz-object-lock-mode'
const UNTIL = 'x-amz-object-lock-retain-until-date'
const HOLD = 'x-amz-object-lock-legal-hold'
const BYPASS = 'x-amz-bypass-governance-retention'

// ISO 8601 as MinIO's amztime.ISO8601Parse takes it: RFC 3339 with optional fractional seconds and an offset.
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/

/** parseIsoDate reads an ISO 8601 / RFC 3339 date to epoch milliseconds; undefined unless it is one (a real calendar date). */
export function parseIsoDate(text: string): number | undefined {
  const m = ISO_DATE.exec(text.trim())
  if (m === null) return undefined
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined
  const base = Date.UTC(year, month - 1, day, hour, minute, second)
  // Date.UTC rolls 31 February over into March: a date that does not survive the round trip is no date.
  if (new Date(base).getUTCDate() !== day) return undefined
  const millis = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000)
  const zone = m[8]!
  const offset = zone === 'Z' ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000
  return base + millis - offset
}

/** lockDate formats epoch milliseconds as MinIO's amztime.ISO8601Format does (`2030-01-01T00:00:00.000Z`). */
export function lockDate(ms: number): string {
  return new Date(ms).toISOString()
}

/** headerMode reads a retention mode as given in a header (case-insensitive, as MinIO); undefined when unknown. */
function headerMode(value: string): RetentionMode | undefined {
  const v = value.toUpperCase()
  return v === 'GOVERNANCE' || v === 'COMPLIANCE' ? v : undefined
}

/** headerHold reads a legal hold status as given in a header (case-insensitive); undefined when unknown. */
function headerHold(value: string): LegalHoldStatus | undefined {
  const v = value.toUpperCase()
  return v === 'ON' || v === 'OFF' ? v : undefined
}

/** bypassRequested tells whether a request carries `x-amz-bypass-governance-retention: true`. */
export function bypassRequested(ctx: Ctx): boolean {
  return header(ctx.req, BYPASS)?.trim().toLowerCase() === 'true'
}

/**
 * lockForWrite decides the lock of a version about to be written to ctx.bucket: the request's lock headers, or
 * else the bucket's default retention (not when a legal hold header is given, as MinIO), or none. Setting
 * retention (default included) needs s3:PutObjectRetention, a legal hold s3:PutObjectLegalHold. Throws S3Error
 * InvalidRequest (headers on a bucket without lock, incomplete or unknown values, a bad or past date),
 * AccessDenied.
 */
export async function lockForWrite(ctx: Ctx): Promise<VersionLock | undefined> {
  const mode = header(ctx.req, MODE)
  const until = header(ctx.req, UNTIL)
  const hold = header(ctx.req, HOLD)
  const retentionRequested = mode !== undefined || until !== undefined
  const config = bucketLockOf(ctx.core.meta, ctx.bucket!)
  if (config === undefined) {
    if (retentionRequested || hold !== undefined) throw LOCK_ERRORS.bucketMissingLock()
    return undefined
  }
  const lock: VersionLock = {}
  if (hold !== undefined) {
    const status = headerHold(hold)
    if (status === undefined) throw LOCK_ERRORS.unknownMode()
    await authorize(ctx, 'PutObjectLegalHold')
    lock.legalHold = status
  }
  if (retentionRequested) {
    if (mode === undefined || until === undefined || mode === '' || until === '') throw LOCK_ERRORS.headersIncomplete()
    const parsedMode = headerMode(mode)
    if (parsedMode === undefined) throw LOCK_ERRORS.unknownMode()
    const date = parseIsoDate(until)
    if (date === undefined) throw LOCK_ERRORS.badDate()
    if (date < Date.now()) throw LOCK_ERRORS.pastDate()
    await authorize(ctx, 'PutObjectRetention')
    lock.mode = parsedMode
    lock.until = date
  } else if (config.rule !== undefined && hold === undefined) {
    // MinIO asks for s3:PutObjectRetention even when the retention comes from the bucket's default.
    await authorize(ctx, 'PutObjectRetention')
    lock.mode = config.rule.mode
    lock.until = defaultUntil(config.rule, Date.now())
  }
  return lock.mode === undefined && lock.legalHold === undefined ? undefined : lock
}

/** mayRead asks whether the caller may read one part of a lock; a refusal only hides it. Throws InternalError. */
async function mayRead(ctx: Ctx, op: 'GetObjectRetention' | 'GetObjectLegalHold'): Promise<boolean> {
  return isAuthorized(ctx, op)
}

/**
 * setLockHeaders answers a version's lock on GET/HEAD: mode and date to callers allowed s3:GetObjectRetention,
 * the legal hold to callers allowed s3:GetObjectLegalHold (MinIO filters them so). Throws S3Error InternalError.
 */
export async function setLockHeaders(ctx: Ctx, res: ServerResponse, lock: VersionLock | undefined): Promise<void> {
  if (lock === undefined) return
  if (lock.mode !== undefined && lock.until !== undefined && await mayRead(ctx, 'GetObjectRetention')) {
    res.setHeader(MODE, lock.mode)
    res.setHeader(UNTIL, lockDate(lock.until))
  }
  if (lock.legalHold !== undefined && await mayRead(ctx, 'GetObjectLegalHold')) res.setHeader(HOLD, lock.legalHold)
}
