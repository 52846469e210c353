/**
 * Object lock (WORM) state, as MinIO keeps it: a bucket's lock configuration is a bucket config entry, and each
 * object version's retention and legal hold are part of that version's stored metadata (ObjectMeta.lock), so
 * they go wherever the version goes (noncurrent, promoted back, deleted) and are changed in one transaction
 * that re-reads the row. Whether a version may be removed is decided here, next to the removal, in the same
 * transaction: no request can slip a new hold in between the check and the delete.
 *
 * @module
 */
import type { RetentionMode, VersionLock } from './lock-types.js'
export type { LegalHoldStatus, RetentionMode, VersionLock } from './lock-types.js'
import type { MetaStore, ObjectMeta } from './meta.js'
import { deleteVersion, VERSIONING_CONFIG, type DeleteOutcome } from './versions.js'
import { freeingTransaction } from './space-reserve.js'

/** A bucket's default retention: a mode and a period in whole days or whole years. */
export interface DefaultRetention {
  mode: RetentionMode
  days?: number
  years?: number
}

/** A bucket's object lock configuration: lock is enabled; the default retention is optional. */
export interface BucketLockConfig {
  rule?: DefaultRetention
}

/** The bucket_config entry holding a bucket's object lock configuration (JSON of {@link BucketLockConfig}). */
const OBJECT_LOCK_CONFIG = 'object-lock'

/** bucketLockOf reads a bucket's lock configuration; undefined when lock is not enabled. Throws only on database errors. */
export function bucketLockOf(meta: MetaStore, bucket: string): BucketLockConfig | undefined {
  const raw = meta.get(bucket, OBJECT_LOCK_CONFIG)
  return raw === undefined ? undefined : JSON.parse(raw) as BucketLockConfig
}

/** setBucketLock stores a bucket's lock configuration; throws only on database errors. */
export function setBucketLock(meta: MetaStore, bucket: string, config: BucketLockConfig): void {
  meta.set(bucket, OBJECT_LOCK_CONFIG, JSON.stringify(config))
}

/**
 * createLockedBucket creates a bucket with object lock enabled and versioning on, in one transaction (a crash
 * never leaves a lock bucket without versioning); returns false when the bucket exists. Throws only on database errors.
 */
export function createLockedBucket(meta: MetaStore, bucket: string): boolean {
  return meta.db.transaction(() => {
    if (!meta.createBucket(bucket)) return false
    meta.set(bucket, VERSIONING_CONFIG, 'Enabled')
    setBucketLock(meta, bucket, {})
    return true
  })()
}

/** defaultUntil is when a default retention period started at `now` ends (Years are calendar years, as MinIO's AddDate). */
export function defaultUntil(rule: DefaultRetention, now: number): number {
  if (rule.days !== undefined) return now + rule.days * 86_400_000
  const d = new Date(now)
  d.setUTCFullYear(d.getUTCFullYear() + (rule.years ?? 0))
  return d.getTime()
}

/** isRetained tells whether a version's retention still holds at `now` (MinIO: not yet before the date). */
export function isRetained(lock: VersionLock | undefined, now: number): boolean {
  return lock?.mode !== undefined && lock.until !== undefined && lock.until >= now
}

/**
 * Why a version may not be removed: `locked` (legal hold, compliance, or governance without the bypass
 * header), `bypass` (governance with the header: allowed only to a caller granted s3:BypassGovernanceRetention).
 */
export type RemovalBlock = 'locked' | 'bypass'

/** removalBlock decides whether a version with this lock may be removed now; undefined when it may. */
export function removalBlock(lock: VersionLock | undefined, now: number, bypassRequested: boolean): RemovalBlock | undefined {
  if (lock?.legalHold === 'ON') return 'locked'
  if (!isRetained(lock, now)) return undefined
  if (lock!.mode === 'COMPLIANCE' || !bypassRequested) return 'locked'
  return 'bypass'
}

/** versionMeta reads a stored version's metadata by its row id (either table); undefined when gone. */
function versionMeta(meta: MetaStore, bucket: string, key: string, versionId: string): { id: string; meta: ObjectMeta } | undefined {
  const row = (meta.db.prepare('SELECT id, meta FROM objects WHERE bucket = ? AND key = ? AND version_id = ?').get(bucket, key, versionId)
    ?? meta.db.prepare('SELECT id, meta FROM object_versions WHERE bucket = ? AND key = ? AND version_id = ? AND delete_marker = 0')
      .get(bucket, key, versionId)) as { id: string; meta: string } | undefined
  return row === undefined ? undefined : { id: row.id, meta: JSON.parse(row.meta) as ObjectMeta }
}

/**
 * deleteVersionUnlessLocked removes one version for good (as {@link deleteVersion}) unless its lock forbids it,
 * deciding and deleting in one transaction. `bypassGranted` says the caller sent the bypass header and holds
 * s3:BypassGovernanceRetention. Returns the outcome, or the block that stopped it. Throws only on database errors.
 */
export function deleteVersionUnlessLocked(meta: MetaStore, bucket: string, key: string, versionId: string,
  bypassRequested: boolean, bypassGranted: boolean, now = Date.now()): DeleteOutcome | RemovalBlock {
  return freeingTransaction(meta.db, (): DeleteOutcome | RemovalBlock => {
    const found = versionMeta(meta, bucket, key, versionId)
    const block = found === undefined ? undefined : removalBlock(found.meta.lock, now, bypassRequested)
    if (block === 'locked' || (block === 'bypass' && !bypassGranted)) return block
    return deleteVersion(meta, bucket, key, versionId)
  })
}

/**
 * updateVersionLock re-reads a version's metadata and replaces its lock with what `change` returns, in one
 * transaction, so a concurrent tag or lock update is never lost. `change` may throw to refuse (nothing is
 * written). Returns false when the version is gone. Throws what `change` throws, or on database errors.
 */
export function updateVersionLock(meta: MetaStore, rowId: string, change: (current: VersionLock | undefined) => VersionLock | undefined): boolean {
  return meta.db.transaction(() => {
    const row = (meta.db.prepare('SELECT meta, 1 AS current FROM objects WHERE id = ?').get(rowId)
      ?? meta.db.prepare('SELECT meta, 0 AS current FROM object_versions WHERE id = ? AND delete_marker = 0').get(rowId)) as
      { meta: string; current: number } | undefined
    if (row === undefined) return false
    const stored = JSON.parse(row.meta) as ObjectMeta
    const next = change(stored.lock)
    if (next === undefined || (next.mode === undefined && next.legalHold === undefined)) delete stored.lock
    else stored.lock = next
    const table = row.current === 1 ? 'objects' : 'object_versions'
    meta.db.prepare(`UPDATE ${table} SET meta = ? WHERE id = ?`).run(JSON.stringify(stored), rowId)
    return true
  })()
}
