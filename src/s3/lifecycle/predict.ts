/**
 * The `x-amz-expiration` header MinIO sends on GET, HEAD and on the answers to writes (PUT, copy, multipart
 * completion): when the bucket's lifecycle rules will expire this version, and by which rule.
 *
 * @module
 */
import type { ServerResponse } from 'node:http'
import type { MetaStore, ObjectRow } from '../storage/meta.js'
import { currentExpiry, expirationHeader, noncurrentExpiry, type Expiry } from './evaluate.js'
import { lifecycleOf } from './store.js'

/** A version as the read path has it: `isLatest` false marks a noncurrent one, `seq` its place among its key's versions. */
type Version = ObjectRow & { isLatest?: boolean; seq?: number; deleteMarker?: boolean }

/**
 * setExpirationHeader adds `x-amz-expiration` when a lifecycle rule will expire this object version; throws
 * only on database errors.
 */
export function setExpirationHeader(res: ServerResponse, meta: MetaStore, obj: Version): void {
  const config = lifecycleOf(meta, obj.bucket)
  if (config === undefined) return
  const subject = { key: obj.key, tags: obj.meta.tags, size: obj.size }
  let expiry: Expiry | undefined
  if (obj.isLatest !== false) {
    expiry = currentExpiry(config, subject, obj.mtime)
  } else if (obj.seq !== undefined) {
    const newer = meta.db.prepare('SELECT mtime FROM object_versions WHERE bucket = ? AND key = ? AND seq > ? ORDER BY seq')
      .all(obj.bucket, obj.key, obj.seq) as Array<{ mtime: number }>
    const current = meta.db.prepare('SELECT mtime FROM objects WHERE bucket = ? AND key = ?').get(obj.bucket, obj.key) as { mtime: number } | undefined
    const successor = newer[0]?.mtime ?? current?.mtime
    // Noncurrent versions newer than this one: all newer rows, less the latest when it is a delete marker row.
    const newerNoncurrent = newer.length - (current === undefined ? 1 : 0)
    if (successor !== undefined) expiry = noncurrentExpiry(config, subject, successor, Math.max(0, newerNoncurrent))
  }
  if (expiry !== undefined) res.setHeader('x-amz-expiration', expirationHeader(expiry))
}
