/**
 * ListObjectVersions: every version of every key (object versions and delete markers interleaved, newest first
 * within a key), paged by key-marker and version-id-marker, rolled up into common prefixes at the delimiter.
 *
 * @module
 */
import { s3err } from '../api/errors.js'
import { sendXml, type Ctx } from '../api/context.js'
import type { MetaStore } from '../storage/meta.js'
import { listVersions, seqOf, type VersionCursor, type VersionRow } from '../storage/versions.js'
import { xmlDocument, type XNode } from '../api/xml.js'
import { requireBucket } from './common.js'
import { clientETagsOf } from './etags.js'
import { common, params, type Params } from './list.js'
import { OWNER } from './owner.js'
import { pastPrefix, rollUp } from './list-walk.js'
import { isoDate } from './object-meta.js'

type VersionEntry = { kind: 'version'; row: VersionRow } | { kind: 'prefix'; prefix: string }

interface VersionWalk {
  entries: VersionEntry[]
  truncated: boolean
}

const BATCH = 1000
/**
 * walkVersions lists up to maxKeys versions and common prefixes after the cursor; reads the tables in bounded
 * batches, each row at most once, and passes over the keys under a common prefix in the batch at hand or by one
 * seek (list-walk.ts's pastPrefix). Throws only on database errors.
 */
function walkVersions(meta: MetaStore, bucket: string, p: Params, start: VersionCursor): VersionWalk {
  const entries: VersionEntry[] = []
  let cursor = start
  let lastPrefix: string | undefined
  for (;;) {
    const rows = listVersions(meta, bucket, p.prefix, cursor, BATCH)
    let skipping: string | undefined
    for (const row of rows) {
      if (!row.key.startsWith(p.prefix)) return { entries, truncated: false }
      cursor = { key: row.key, seq: row.seq }
      if (skipping !== undefined && row.key.startsWith(skipping)) continue
      skipping = undefined
      const name = rollUp(row.key, p.prefix, p.delimiter)
      if (name === undefined) {
        if (entries.length >= p.maxKeys) return { entries, truncated: true }
        entries.push({ kind: 'version', row })
        continue
      }
      skipping = name
      if (name > start.key && name !== lastPrefix) {
        if (entries.length >= p.maxKeys) return { entries, truncated: true }
        entries.push({ kind: 'prefix', prefix: name })
        lastPrefix = name
      }
    }
    if (rows.length < BATCH) return { entries, truncated: false }
    const past = skipping === undefined ? undefined : pastPrefix(skipping)
    if (past !== undefined) cursor = { key: past, seq: undefined, inclusive: true }
  }
}

function versionNode(row: VersionRow, etag: string, p: Params): XNode {
  const head: XNode[] = [['Key', p.encode(row.key)], ['VersionId', row.versionId], ['IsLatest', row.isLatest],
    ['LastModified', isoDate(row.mtime)]]
  if (row.deleteMarker) return ['DeleteMarker', [...head, OWNER]]
  return ['Version', [...head, ['ETag', `"${etag}"`], ['Size', row.size], OWNER, ['StorageClass', 'STANDARD']]]
}

/** listObjectVersions serves ListObjectVersions; throws S3Error NoSuchBucket, InvalidArgument (max-keys, encoding-type, a version-id-marker without key-marker). */
export async function listObjectVersions(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx)
  const p = params(ctx)
  const keyMarker = ctx.query.get('key-marker') ?? ''
  const versionIdMarker = ctx.query.get('version-id-marker') ?? ''
  // AWS's answer: a version id means nothing without the key it belongs to.
  if (versionIdMarker !== '' && keyMarker === '') {
    throw s3err('InvalidArgument', 'A version-id marker cannot be specified without a key marker.', { ArgumentName: 'version-id-marker', ArgumentValue: versionIdMarker })
  }
  // An unknown version-id-marker skips the whole key-marker, as a bare key-marker does.
  const seq = keyMarker !== '' && versionIdMarker !== '' ? seqOf(ctx.core.meta, bucket, keyMarker, versionIdMarker) : undefined
  const walk = walkVersions(ctx.core.meta, bucket, p, { key: keyMarker, seq })
  const rows = walk.entries.flatMap((e) => e.kind === 'version' && !e.row.deleteMarker ? [e.row] : [])
  const etags = await clientETagsOf(ctx, rows)
  const shown = new Map(rows.map((r, i) => [r, etags[i]!]))
  const last = walk.entries.at(-1)
  sendXml(ctx, xmlDocument(['ListVersionsResult', [
    ['Name', bucket], ...common(p), ['KeyMarker', p.encode(keyMarker)], ['VersionIdMarker', versionIdMarker],
    walk.truncated && last !== undefined ? ['NextKeyMarker', p.encode(last.kind === 'version' ? last.row.key : last.prefix)] : undefined,
    walk.truncated && last?.kind === 'version' ? ['NextVersionIdMarker', last.row.versionId] : undefined,
    ['IsTruncated', walk.truncated],
    ...walk.entries.map((e): XNode => e.kind === 'version'
      ? versionNode(e.row, shown.get(e.row) ?? '', p)
      : ['CommonPrefixes', [['Prefix', p.encode(e.prefix)]]]),
  ]]))
}
