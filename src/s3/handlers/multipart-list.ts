/**
 * ListParts and ListMultipartUploads.
 *
 * @module
 */
import { S3_ERRORS, s3err } from '../api/errors.js'
import { sendXml, type Ctx } from '../api/context.js'
import { xmlDocument, type XNode } from '../api/xml.js'
import { clientChecksums, splitPartChecksum, type PartChecksum } from './checksums.js'
import { requireBucket } from './common.js'
import { OWNER_FIELDS } from './owner.js'
import { requireUpload } from './multipart.js'
import { isoDate } from './object-meta.js'
import { pastPrefix, rollUp } from './list-walk.js'
import type { UploadCursor, UploadRow } from '../storage/uploads.js'


function intParam(ctx: Ctx, name: string, fallback: number, max: number): number {
  const raw = ctx.query.get(name)
  if (raw === undefined) return fallback
  if (!/^\d{1,10}$/.test(raw)) throw s3err('InvalidArgument', `Argument ${name} must be an integer between 0 and 2147483647`, { ArgumentName: name })
  return Math.min(Number(raw), max)
}

/**
 * listParts serves ListParts. Encrypted uploads store sealed part ETags; the listing shows what UploadPart
 * showed (MinIO listObjectPartsHandler: tryDecryptETag, one KMS decrypt for SSE-S3), and sealed part
 * checksums, opened with the object key (one KMS decrypt for SSE-S3/SSE-KMS; the SSE-C key of the request).
 * A part checksum is a hash of the plaintext, so an SSE-C upload shows none without its key: one with a checksum
 * algorithm is refused then, as AWS requires the SSE-C headers for it (InvalidRequest, MinIO's
 * ErrSSEMultipartEncrypted text), one without shows its parts without checksums. Throws S3Error.
 */
export async function listParts(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx)
  const upload = requireUpload(ctx)
  const marker = intParam(ctx, 'part-number-marker', 0, 10000)
  const max = intParam(ctx, 'max-parts', 1000, 1000)
  const parts = ctx.core.uploads.parts(upload.id, marker, max + 1)
  const truncated = parts.length > max
  const shown = parts.slice(0, max)
  const crypto = ctx.core.crypto
  const etags = upload.internal === undefined || upload.internal === null || crypto?.clientETags === undefined
    ? shown.map((p) => p.etag)
    : await crypto.clientETags({ bucket, key: upload.key, internal: upload.internal }, shown.map((p) => p.etag))
  const split = shown.map((p) => splitPartChecksum(p.checksum))
  const listed = split.flatMap((c, i) => (c === undefined ? [] : [{ partNumber: shown[i]!.partNumber, ...c }]))
  const values = await clientChecksums(ctx, { bucket, key: upload.key, internal: upload.internal }, listed)
  if (values.includes(undefined) && upload.checksumAlgorithm !== null) throw S3_ERRORS.sseMultipartEncrypted()
  const checksums = new Map<number, PartChecksum>()
  listed.forEach((c, i) => {
    const value = values[i]
    if (value !== undefined) checksums.set(c.partNumber, { algorithm: c.algorithm, value })
  })
  const next = shown.at(-1)?.partNumber ?? marker
  sendXml(ctx, xmlDocument(['ListPartsResult', [
    ['Bucket', bucket], ['Key', upload.key], ['UploadId', upload.id], ['Initiator', OWNER_FIELDS], ['Owner', OWNER_FIELDS],
    ['StorageClass', 'STANDARD'], ['PartNumberMarker', marker], ['NextPartNumberMarker', next], ['MaxParts', max],
    ['IsTruncated', truncated],
    upload.checksumAlgorithm !== null ? ['ChecksumAlgorithm', upload.checksumAlgorithm] : undefined,
    upload.checksumType !== null ? ['ChecksumType', upload.checksumType] : undefined,
    ...shown.map((p, i): XNode => {
      const checksum = checksums.get(p.partNumber)
      return ['Part', [['PartNumber', p.partNumber], ['LastModified', isoDate(p.mtime ?? 0)], ['ETag', `"${etags[i]}"`], ['Size', p.size],
        checksum !== undefined ? [`Checksum${checksum.algorithm}`, checksum.value] : undefined]]
    }),
  ]]))
}

const UPLOAD_BATCH = 1000

/**
 * walkUploads finds up to `max` entries after the markers: uploads, and common prefixes at the delimiter, each
 * prefix once and never one at or before the key marker (a page that ended in a prefix goes on after it: before,
 * every page repeated the prefix and never got past it, found by an attack). Reads in bounded batches, each row at
 * most once, and passes over the uploads under a common prefix in the batch at hand or by one seek past the
 * prefix (list-walk.ts's pastPrefix), as the object walk does: without the seek, 40,000 uploads of one key `d/x`
 * were all read by every `?uploads&delimiter=/` (found by an attack). Throws only on database errors.
 */
function walkUploads(
  ctx: Ctx, bucket: string, prefix: string, delimiter: string, keyMarker: string, idMarker: string, max: number,
): { shown: Array<UploadRow | string>; truncated: boolean } {
  const shown: Array<UploadRow | string> = []
  let cursor: UploadCursor = { key: keyMarker, id: idMarker }
  // Keys sort together under their common prefix, so the last one listed is the only one that can come again.
  let lastPrefix: string | undefined
  for (;;) {
    const rows = ctx.core.uploads.list(bucket, prefix, cursor, UPLOAD_BATCH)
    // The common prefix whose uploads are being passed over.
    let skipping: string | undefined
    for (const u of rows) {
      cursor = { key: u.key, id: u.id }
      if (skipping !== undefined && u.key.startsWith(skipping)) continue
      skipping = undefined
      const name = rollUp(u.key, prefix, delimiter)
      if (name !== undefined) {
        skipping = name
        // Listed on an earlier page (the key marker is a key or a common prefix), or already on this one.
        if (name <= keyMarker || name === lastPrefix) continue
      }
      if (shown.length >= max) return { shown, truncated: true }
      if (name !== undefined) lastPrefix = name
      shown.push(name ?? u)
    }
    if (rows.length < UPLOAD_BATCH) return { shown, truncated: false }
    // The batch ended inside a common prefix: one seek past the rest of its uploads.
    const past = skipping === undefined ? undefined : pastPrefix(skipping)
    if (past !== undefined) cursor = { atKey: past }
  }
}

/** listMultipartUploads serves ListMultipartUploads (delimiter rolls keys up into common prefixes). */
export function listMultipartUploads(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx)
  const prefix = ctx.query.get('prefix') ?? ''
  const delimiter = ctx.query.get('delimiter') ?? ''
  const keyMarker = ctx.query.get('key-marker') ?? ''
  const idMarker = ctx.query.get('upload-id-marker') ?? ''
  const max = intParam(ctx, 'max-uploads', 1000, 1000)
  const { shown, truncated } = walkUploads(ctx, bucket, prefix, delimiter, keyMarker, idMarker, max)
  const prefixes: string[] = []
  const uploads: XNode[] = []
  for (const entry of shown) {
    if (typeof entry === 'string') {
      prefixes.push(entry)
      continue
    }
    const u = entry
    uploads.push(['Upload', [['Key', u.key], ['UploadId', u.id], ['Initiator', OWNER_FIELDS], ['Owner', OWNER_FIELDS],
      ['StorageClass', 'STANDARD'], ['Initiated', isoDate(u.initiated)],
      u.checksumAlgorithm !== null ? ['ChecksumAlgorithm', u.checksumAlgorithm] : undefined,
      u.checksumType !== null ? ['ChecksumType', u.checksumType] : undefined]])
  }
  const lastEntry = shown.at(-1)
  // A page ending in a common prefix continues after every key under it (the next page skips them).
  const last = lastEntry === undefined ? undefined : typeof lastEntry === 'string' ? { key: lastEntry, id: '' } : { key: lastEntry.key, id: lastEntry.id }
  sendXml(ctx, xmlDocument(['ListMultipartUploadsResult', [
    ['Bucket', bucket], ['KeyMarker', keyMarker], ['UploadIdMarker', idMarker],
    truncated && last !== undefined ? ['NextKeyMarker', last.key] : undefined,
    truncated && last !== undefined ? ['NextUploadIdMarker', last.id] : undefined,
    ['Prefix', prefix], delimiter !== '' ? ['Delimiter', delimiter] : undefined, ['MaxUploads', max], ['IsTruncated', truncated],
    ...uploads, ...prefixes.map((p): XNode => ['CommonPrefixes', [['Prefix', p]]]),
  ]]))
  return Promise.resolve()
}
