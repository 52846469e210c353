/**
 * A bucket's object lock: enabling it at CreateBucket (`x-amz-bucket-object-lock-enabled`), and
 * Get/PutObjectLockConfiguration with its default retention, as MinIO and AWS answer them.
 *
 * @module
 */
import { S3Error, s3err } from '../api/errors.js'
import { readSmallBody } from '../api/body.js'
import { header, sendEmpty, sendXml, type Ctx } from '../api/context.js'
import { authorize } from '../api/authorize.js'
import { xmlBodyParser, xmlDocument, type XNode } from '../api/xml.js'
import { bucketLockOf, setBucketLock, type BucketLockConfig, type DefaultRetention } from '../storage/object-lock.js'
import { versioningOf } from '../storage/versions.js'
import { requireBucket } from './common.js'
import { LOCK_ERRORS } from './object-lock-errors.js'

/** MinIO's maxObjectLockConfigSize: lock, retention and legal hold documents are read up to 4 KiB. */
const MAX_LOCK_DOCUMENT = 1 << 12

/** MinIO's limits on a default retention period ("tested by using mc lock"). */
const MAX_DAYS = 36500
const MAX_YEARS = 100

const parseLockXml = xmlBodyParser({ arrays: [], removeNSPrefix: true })

/**
 * readLockDocument reads a lock, retention or legal hold document (at most 4 KiB; more is malformed, as MinIO
 * reads no further) and returns its root's content. Throws S3Error MalformedXML.
 */
export async function readLockDocument(ctx: Ctx, root: string): Promise<Record<string, unknown>> {
  const body = await readSmallBody(ctx, MAX_LOCK_DOCUMENT).catch((err: unknown) => {
    throw err instanceof S3Error && err.code === 'EntityTooLarge' ? LOCK_ERRORS.malformed() : err
  })
  return parseLockXml(body, root)
}

/**
 * lockRequestedAtCreate reads CreateBucket's `x-amz-bucket-object-lock-enabled`; enabling lock also needs
 * s3:PutBucketObjectLockConfiguration and s3:PutBucketVersioning (MinIO asks for both). Throws S3Error
 * InvalidRequest (a value other than true/false), AccessDenied.
 */
export async function lockRequestedAtCreate(ctx: Ctx): Promise<boolean> {
  const raw = header(ctx.req, 'x-amz-bucket-object-lock-enabled')
  if (raw === undefined) return false
  const v = raw.trim().toLowerCase()
  if (v !== 'true' && v !== 'false') throw s3err('InvalidRequest')
  if (v === 'false') return false
  await authorize(ctx, 'PutObjectLockConfiguration')
  await authorize(ctx, 'PutBucketVersioning')
  return true
}

/** period reads a period element: a decimal integer, or undefined when absent. Throws S3Error MalformedXML, InvalidRetentionPeriod. */
function period(value: unknown, what: 'Days' | 'Years', max: number): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || !/^[+-]?\d{1,12}$/.test(value.trim())) throw LOCK_ERRORS.malformed()
  const n = Number(value.trim())
  if (n <= 0 || n > max) throw LOCK_ERRORS.invalidPeriod(what)
  return n
}

/**
 * parseLockConfig reads an ObjectLockConfiguration document. Throws S3Error MalformedXML (not `Enabled`, a Rule
 * without DefaultRetention, an unknown Mode, neither or both of Days and Years, a period that is no integer) or
 * InvalidRetentionPeriod (zero, negative or past MinIO's limits), as AWS answers.
 */
function parseLockConfig(doc: Record<string, unknown>): BucketLockConfig {
  if (doc.ObjectLockEnabled !== 'Enabled') throw LOCK_ERRORS.malformed('only \'Enabled\' value is allowed to ObjectLockEnabled element')
  if (doc.Rule === undefined) return {}
  const rule = doc.Rule as Record<string, unknown>
  const dr = typeof rule === 'object' ? rule.DefaultRetention as Record<string, unknown> | undefined : undefined
  if (dr === undefined || typeof dr !== 'object') throw LOCK_ERRORS.malformed()
  const mode = dr.Mode
  if (mode !== 'GOVERNANCE' && mode !== 'COMPLIANCE') throw LOCK_ERRORS.malformed(`unknown retention mode ${String(mode ?? '')}`)
  if ((dr.Days === undefined) === (dr.Years === undefined)) {
    throw LOCK_ERRORS.malformed(dr.Days === undefined ? 'either Days or Years must be specified' : 'either Days or Years must be specified, not both')
  }
  const retention: DefaultRetention = { mode }
  const days = period(dr.Days, 'Days', MAX_DAYS)
  const years = period(dr.Years, 'Years', MAX_YEARS)
  if (days !== undefined) retention.days = days
  if (years !== undefined) retention.years = years
  return { rule: retention }
}

/** lockConfigXml renders a bucket's lock configuration as MinIO's objectlock.Config marshals it. */
function lockConfigXml(config: BucketLockConfig): string {
  const rule = config.rule
  const retention: XNode[] = rule === undefined ? [] : [['Rule', [['DefaultRetention', [
    ['Mode', rule.mode], rule.days !== undefined ? ['Days', rule.days] : ['Years', rule.years!],
  ]]]]]
  return xmlDocument(['ObjectLockConfiguration', [['ObjectLockEnabled', 'Enabled'], ...retention]])
}

/** getObjectLockConfiguration serves GetObjectLockConfiguration; throws S3Error NoSuchBucket, ObjectLockConfigurationNotFoundError. */
export function getObjectLockConfiguration(ctx: Ctx): Promise<void> {
  const config = bucketLockOf(ctx.core.meta, requireBucket(ctx))
  if (config === undefined) throw LOCK_ERRORS.configNotFound()
  sendXml(ctx, lockConfigXml(config))
  return Promise.resolve()
}

/**
 * putObjectLockConfiguration serves PutObjectLockConfiguration: replaces the default retention of a lock bucket,
 * or enables lock on a bucket whose versioning is enabled (as AWS now allows). Throws S3Error NoSuchBucket,
 * MalformedXML, InvalidRetentionPeriod, InvalidBucketState (versioning not enabled).
 */
export async function putObjectLockConfiguration(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx)
  const config = parseLockConfig(await readLockDocument(ctx, 'ObjectLockConfiguration'))
  const meta = ctx.core.meta
  // Checked and written in one transaction: the bucket cannot go (leaving a configuration a new bucket of the
  // same name would inherit) nor its versioning be suspended in between.
  const applied = meta.db.transaction(() => {
    if (!meta.bucketExists(bucket)) return 'gone'
    if (bucketLockOf(meta, bucket) === undefined && versioningOf(meta, bucket) !== 'Enabled') return 'unversioned'
    setBucketLock(meta, bucket, config)
    return 'ok'
  })()
  if (applied === 'gone') throw s3err('NoSuchBucket')
  if (applied === 'unversioned') throw LOCK_ERRORS.versioningNotEnabled()
  sendEmpty(ctx)
}
