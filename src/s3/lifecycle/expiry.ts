/**
 * The lifecycle expiry pass: what MinIO's scanner does for expiration rules, in bounded steps. Each pass
 * visits every bucket with a lifecycle configuration and, from where the previous pass stopped, at most
 * {@link ExpiryLimits.keys} current objects, keys with older versions and uploads; it
 *  - expires current objects past their Expiration (removed, or behind a delete marker when versioned; with
 *    MinIO's ExpiredObjectAllVersions, every version of the key),
 *  - removes noncurrent versions past NoncurrentVersionExpiration (keeping NewerNoncurrentVersions of them),
 *  - removes a delete marker left alone (ExpiredObjectDeleteMarker, or Expiration Days once it is old enough),
 *    and every version of a key whose delete marker is past DelMarkerExpiration,
 *  - aborts multipart uploads past AbortIncompleteMultipartUpload (which MinIO does not serve).
 * Each removal is its own transaction through the version store, so a crash leaves every version whole.
 *
 * @module
 */
import type { MetaStore, ObjectRow, RawObject } from '../storage/meta.js'
import { toObject } from '../storage/meta.js'
import { deleteVersionUnlessLocked } from '../storage/object-lock.js'
import { deleteLatest, deleteVersion, versioningOf } from '../storage/versions.js'
import { currentExpiry, expectedExpiry, noncurrentExpiry, rulesFor, type LifecycleSubject } from './evaluate.js'
import { rulePrefix, type LifecycleConfig } from './rules.js'
import { LIFECYCLE_CONFIG } from './store.js'

/** How much one pass may visit per bucket (each kind), so a pass never holds the event loop for long. */
export interface ExpiryLimits {
  keys: number
}

/** What a pass removed. */
export interface ExpiryReport {
  expired: number
  noncurrent: number
  deleteMarkers: number
  uploads: number
}

/** Where each bucket's next pass resumes, per kind of row; an empty string starts over. */
export type ExpiryCursors = Map<string, { objects: string; versions: string; uploads: string }>

type Version = ObjectRow & { deleteMarker: boolean }

/**
 * runExpiryPass runs one bounded pass at time `now` (ms since the epoch), resuming from and advancing
 * `cursors`. Throws only on database errors.
 */
export function runExpiryPass(meta: MetaStore, now: number, cursors: ExpiryCursors, limits: ExpiryLimits = { keys: 1000 }): ExpiryReport {
  const report: ExpiryReport = { expired: 0, noncurrent: 0, deleteMarkers: 0, uploads: 0 }
  const configured = meta.db.prepare('SELECT bucket, value FROM bucket_config WHERE name = ?').all(LIFECYCLE_CONFIG) as Array<{ bucket: string; value: string }>
  for (const { bucket, value } of configured) {
    const config = JSON.parse(value) as LifecycleConfig
    if (!config.rules.some((r) => r.status === 'Enabled')) continue
    const cursor = cursors.get(bucket) ?? { objects: '', versions: '', uploads: '' }
    cursors.set(bucket, cursor)
    cursor.objects = expireCurrent(meta, bucket, config, now, cursor.objects, limits.keys, report)
    cursor.versions = expireVersions(meta, bucket, config, now, cursor.versions, limits.keys, report)
    cursor.uploads = abortUploads(meta, bucket, config, now, cursor.uploads, limits.keys, report)
  }
  for (const bucket of cursors.keys()) if (!configured.some((c) => c.bucket === bucket)) cursors.delete(bucket)
  return report
}

/**
 * removeUnlessLocked removes a version for good unless object lock keeps it (a legal hold or an unexpired
 * retention: lifecycle never bypasses governance, as in MinIO). Returns whether it was removed. Throws only on
 * database errors.
 */
function removeUnlessLocked(meta: MetaStore, bucket: string, key: string, versionId: string, now: number): boolean {
  return typeof deleteVersionUnlessLocked(meta, bucket, key, versionId, false, false, now) !== 'string'
}

function subjectOf(o: ObjectRow, deleteMarker = false): LifecycleSubject {
  return { key: o.key, tags: o.meta.tags, size: o.size, deleteMarker }
}

function expireCurrent(meta: MetaStore, bucket: string, config: LifecycleConfig, now: number, after: string, limit: number, report: ExpiryReport): string {
  if (!config.rules.some((r) => r.expiration?.days !== undefined || r.expiration?.date !== undefined)) return ''
  const rows = (meta.db.prepare('SELECT * FROM objects WHERE bucket = ? AND key > ? ORDER BY key LIMIT ?').all(bucket, after, limit) as RawObject[]).map(toObject)
  for (const o of rows) {
    const due = currentExpiry(config, subjectOf(o), o.mtime)
    if (due === undefined || due.dueMs > now) continue
    // MinIO's ExpiredObjectAllVersions: every version of the key goes with it.
    if (config.rules.find((r) => r.id === due.ruleId)?.expiration?.allVersions === true) {
      for (const v of versionsOf(meta, bucket, o.key)) removeUnlessLocked(meta, bucket, o.key, v.versionId!, now)
    // Unversioned: the object goes. Versioned or suspended: a delete marker becomes its latest version.
    } else if (versioningOf(meta, bucket) === undefined) meta.deleteObject(bucket, o.key)
    else deleteLatest(meta, bucket, o.key)
    report.expired++
  }
  return rows.length < limit ? '' : rows[rows.length - 1]!.key
}

function expireVersions(meta: MetaStore, bucket: string, config: LifecycleConfig, now: number, after: string, limit: number, report: ExpiryReport): string {
  const keys = (meta.db.prepare('SELECT DISTINCT key FROM object_versions WHERE bucket = ? AND key > ? ORDER BY key LIMIT ?')
    .all(bucket, after, limit) as Array<{ key: string }>).map((r) => r.key)
  for (const key of keys) expireKeyVersions(meta, bucket, key, config, now, report)
  return keys.length < limit ? '' : keys[keys.length - 1]!
}

/** The versions of one key, newest first: the current object row (if any) and then the older ones. */
function versionsOf(meta: MetaStore, bucket: string, key: string): Version[] {
  const current = meta.getObject(bucket, key)
  const older = (meta.db.prepare('SELECT * FROM object_versions WHERE bucket = ? AND key = ? ORDER BY seq DESC').all(bucket, key) as Array<RawObject & { delete_marker: number }>)
    .map((r) => ({ ...toObject(r), deleteMarker: r.delete_marker === 1 }))
  return current === undefined ? older : [{ ...current, deleteMarker: false }, ...older]
}

function expireKeyVersions(meta: MetaStore, bucket: string, key: string, config: LifecycleConfig, now: number, report: ExpiryReport): void {
  let versions = versionsOf(meta, bucket, key)
  const latest = versions[0]
  if (latest === undefined) return
  // DelMarkerExpiration: a delete marker latest for that many days takes every version of its key along.
  if (latest.deleteMarker) {
    for (const rule of rulesFor(config, subjectOf(latest, true))) {
      if (rule.delMarkerExpirationDays === undefined || expectedExpiry(latest.mtime, rule.delMarkerExpirationDays) > now) continue
      for (const v of versions) removeUnlessLocked(meta, bucket, key, v.versionId!, now)
      report.deleteMarkers++
      return
    }
  }
  const kept: Version[] = [latest]
  for (let i = 1; i < versions.length; i++) {
    const v = versions[i]!
    const due = noncurrentExpiry(config, subjectOf(v, v.deleteMarker), versions[i - 1]!.mtime, kept.length - 1)
    if (due !== undefined && due.dueMs <= now && removeUnlessLocked(meta, bucket, key, v.versionId!, now)) {
      report.noncurrent++
    } else {
      kept.push(v)
    }
  }
  versions = kept
  // A delete marker with no versions behind it is expired by ExpiredObjectDeleteMarker, or by Expiration Days
  // once it is that old (S3's rule, as MinIO evaluates it).
  if (versions.length !== 1 || !latest.deleteMarker) return
  for (const rule of rulesFor(config, subjectOf(latest, true))) {
    const e = rule.expiration
    const expired = e?.deleteMarker === true || (e?.days !== undefined && expectedExpiry(latest.mtime, e.days) <= now)
    if (!expired) continue
    deleteVersion(meta, bucket, key, latest.versionId!)
    report.deleteMarkers++
    return
  }
}

function abortUploads(meta: MetaStore, bucket: string, config: LifecycleConfig, now: number, after: string, limit: number, report: ExpiryReport): string {
  const rules = config.rules.filter((r) => r.status === 'Enabled' && r.abortMultipartDays !== undefined)
  if (rules.length === 0) return ''
  const uploads = meta.db.prepare('SELECT id, key, initiated FROM uploads WHERE bucket = ? AND id > ? ORDER BY id LIMIT ?')
    .all(bucket, after, limit) as Array<{ id: string; key: string; initiated: number }>
  for (const u of uploads) {
    const due = rules.some((r) => u.key.startsWith(rulePrefix(r)) && expectedExpiry(u.initiated, r.abortMultipartDays!) <= now)
    if (!due) continue
    meta.db.transaction(() => meta.dropUpload(u.id))()
    report.uploads++
  }
  if (report.uploads > 0) void meta.blobs.collect()
  return uploads.length < limit ? '' : uploads[uploads.length - 1]!.id
}
