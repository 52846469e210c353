/**
 * ListObjects (V1) and ListObjectsV2: current versions only (ListObjectVersions is in list-versions.ts).
 *
 * @module
 */
import { s3err } from '../api/errors.js'
import { sendXml, type Ctx } from '../api/context.js'
import { awsEncode } from '../auth/sigv4/canonical.js'
import type { ObjectRow } from '../storage/meta.js'
import { xmlDocument, type XNode } from '../api/xml.js'
import { requireBucket } from './common.js'
import { OWNER } from './owner.js'
import { metadataNodes } from './list-metadata.js'
import { clientETagsOf } from './etags.js'
import { walkKeys, type Entry, type Walk } from './list-walk.js'
import { isoDate, storageClassOf } from './object-meta.js'

/** The query parameters every listing shares. */
export interface Params {
  prefix: string
  delimiter: string
  maxKeys: number
  encode: (s: string) => string
  encodingType: string | undefined
}

/** params reads the shared listing parameters; throws S3Error InvalidArgument (max-keys, encoding-type). */
export function params(ctx: Ctx): Params {
  const q = ctx.query
  const raw = q.get('max-keys')
  if (raw !== undefined && !/^\d{1,10}$/.test(raw)) {
    throw s3err('InvalidArgument', 'Argument maxKeys must be an integer between 0 and 2147483647', { ArgumentName: 'maxKeys' })
  }
  const encodingType = q.get('encoding-type')
  if (encodingType !== undefined && encodingType !== 'url') {
    throw s3err('InvalidArgument', 'Invalid Encoding Method specified in Request', { ArgumentName: 'encoding-type' })
  }
  return {
    prefix: q.get('prefix') ?? '', delimiter: q.get('delimiter') ?? '',
    maxKeys: Math.min(raw === undefined ? 1000 : Number(raw), 1000),
    encode: encodingType === 'url' ? (s) => awsEncode(s, true) : (s) => s, encodingType,
  }
}

function contents(row: ObjectRow, p: Params, owner: boolean): XNode[] {
  return [['Key', p.encode(row.key)], ['LastModified', isoDate(row.mtime)], ['ETag', `"${row.etag}"`],
    ['Size', row.size], ...(owner ? [OWNER] : []), ['StorageClass', storageClassOf(row)],
    ...(row.checksum !== null ? [['ChecksumAlgorithm', row.checksum.algorithm] as XNode] : [])]
}

/**
 * shownETags replaces each listed object's stored ETag with the one clients see (MinIO's DecryptETags: a KMS
 * decrypt per SSE-S3 single-part object). Throws S3Error: the listing fails rather than show a sealed ETag.
 */
async function shownETags(ctx: Ctx, walk: Walk): Promise<Walk> {
  const rows = walk.entries.flatMap((e) => e.kind === 'object' ? [e.row] : [])
  const etags = await clientETagsOf(ctx, rows)
  const shown = new Map(rows.map((r, i) => [r, etags[i]!]))
  return {
    ...walk,
    entries: walk.entries.map((e): Entry => e.kind === 'object' ? { kind: 'object', row: { ...e.row, etag: shown.get(e.row)! } } : e),
  }
}

function rendered(entries: Entry[], p: Params, node: (row: ObjectRow) => XNode): XNode[] {
  return entries.map((e): XNode => e.kind === 'object' ? node(e.row) : ['CommonPrefixes', [['Prefix', p.encode(e.prefix)]]])
}

/**
 * common renders the elements every listing answers with. ListObjects (V1) answers its Prefix as
 * given even with encoding-type=url (AWS; botocore decodes it only for V2): `encodePrefix` false.
 */
export function common(p: Params, encodePrefix = true): Array<XNode | undefined> {
  return [['Prefix', encodePrefix ? p.encode(p.prefix) : p.prefix], p.delimiter !== '' ? ['Delimiter', p.encode(p.delimiter)] : undefined,
    ['MaxKeys', p.maxKeys], p.encodingType !== undefined ? ['EncodingType', p.encodingType] : undefined]
}

/** listObjectsV1 serves ListObjects. */
export async function listObjectsV1(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx)
  const p = params(ctx)
  const marker = ctx.query.get('marker') ?? ''
  const walk = await shownETags(ctx, walkKeys(ctx.core.meta, bucket, p.prefix, p.delimiter, marker, p.maxKeys))
  sendXml(ctx, xmlDocument(['ListBucketResult', [
    ['Name', bucket], ...common(p, false), ['Marker', p.encode(marker)], ['IsTruncated', walk.truncated],
    walk.truncated && p.delimiter !== '' && walk.last !== undefined ? ['NextMarker', p.encode(walk.last)] : undefined,
    ...rendered(walk.entries, p, (row) => ['Contents', contents(row, p, true)]),
  ]]))
}

/** listObjectsV2 serves ListObjectsV2; throws S3Error InvalidArgument for a bad continuation token. */
export async function listObjectsV2(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx)
  const p = params(ctx)
  const token = ctx.query.get('continuation-token')
  const startAfter = ctx.query.get('start-after')
  let after = startAfter ?? ''
  // An empty token is no token (MinIO lists from the start and echoes it back).
  if (token !== undefined && token !== '') {
    const decoded = Buffer.from(token, 'base64url').toString('utf8')
    if (!decoded.startsWith('k:')) {
      throw s3err('InvalidArgument', 'The continuation token provided is incorrect', { ArgumentName: 'continuation-token' })
    }
    after = decoded.slice(2)
  }
  const owner = ctx.query.get('fetch-owner') === 'true'
  const walk = await shownETags(ctx, walkKeys(ctx.core.meta, bucket, p.prefix, p.delimiter, after, p.maxKeys))
  // MinIO's extension: each object's metadata and tags, where the caller may read them (list-metadata.ts).
  const extra = new Map<ObjectRow, XNode[]>()
  if (ctx.query.get('metadata') === 'true') {
    for (const e of walk.entries) if (e.kind === 'object') extra.set(e.row, await metadataNodes(ctx, e.row))
  }
  const next = walk.truncated && walk.last !== undefined ? Buffer.from('k:' + walk.last).toString('base64url') : undefined
  sendXml(ctx, xmlDocument(['ListBucketResult', [
    ['Name', bucket], ...common(p), ['KeyCount', walk.entries.length], ['IsTruncated', walk.truncated],
    token !== undefined ? ['ContinuationToken', token] : undefined,
    next !== undefined ? ['NextContinuationToken', next] : undefined,
    startAfter !== undefined ? ['StartAfter', p.encode(startAfter)] : undefined,
    ...rendered(walk.entries, p, (row) => ['Contents', [...contents(row, p, owner), ...extra.get(row) ?? []]]),
  ]]))
}
