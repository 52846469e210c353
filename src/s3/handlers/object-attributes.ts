/**
 * GetObjectAttributes: an object version's ETag, checksum, size, storage class and (for multipart objects)
 * parts, selected by `x-amz-object-attributes`, with MinIO's validation and authorization (s3:GetObjectAttributes
 * and s3:GetObject) and AWS's shape (ObjectParts only for a multipart object).
 *
 * @module
 */
import { s3err } from '../api/errors.js'
import { header, sendXml, type Ctx } from '../api/context.js'
import { authorize } from '../api/authorize.js'
import { xmlDocument, type XNode } from '../api/xml.js'
import type { StoredChecksumRef } from '../extensions.js'
import { clientChecksums, splitPartChecksum } from './checksums.js'
import { requireBucket } from './common.js'
import { clientETag } from './etags.js'
import { loadObject, readPlan } from './get.js'
import { storageClassOf } from './object-meta.js'
import { checkConditions } from './range.js'
import { setVersionHeaders, versionIdOf } from './versioning.js'

const ATTRIBUTES = new Set(['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize'])
/** MinIO's maxPartsList: the default and largest page of parts. */
const MAX_PARTS = 10000
const DEFAULT_MAX_PARTS = 1000

/** attributesOf reads x-amz-object-attributes; throws S3Error InvalidArgument (none, or one S3 does not know). */
function attributesOf(ctx: Ctx): Set<string> {
  const names = (header(ctx.req, 'x-amz-object-attributes') ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')
  if (names.length === 0 || names.some((n) => !ATTRIBUTES.has(n))) {
    throw s3err('InvalidArgument', 'Invalid attribute name specified.', { ArgumentName: 'x-amz-object-attributes' })
  }
  return new Set(names)
}

/** intHeader reads a non-negative integer header; throws S3Error InvalidArgument naming it. */
function intHeader(ctx: Ctx, name: string, fallback: number, max: number): number {
  const raw = header(ctx.req, name)
  if (raw === undefined || raw.trim() === '') return fallback
  if (!/^\d{1,9}$/.test(raw.trim())) throw s3err('InvalidArgument', `Unable to parse ${name} header`, { ArgumentName: name, ArgumentValue: raw })
  return Math.min(Number(raw.trim()), max)
}

/**
 * getObjectAttributes serves GetObjectAttributes. Throws S3Error InvalidArgument (attributes, max-parts,
 * part-number-marker, version id), AccessDenied, NoSuchBucket/NoSuchKey/NoSuchVersion, the SSE-C errors of a GET,
 * and the precondition errors. Checksums of an encrypted object are stored sealed and opened here with its
 * object key (one KMS decrypt for SSE-S3/SSE-KMS; `kms:*`/503 when it fails).
 */
export async function getObjectAttributes(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx)
  const wanted = attributesOf(ctx)
  const maxParts = intHeader(ctx, 'x-amz-max-parts', DEFAULT_MAX_PARTS, MAX_PARTS) || DEFAULT_MAX_PARTS
  const marker = intHeader(ctx, 'x-amz-part-number-marker', 0, MAX_PARTS)
  await authorize(ctx, 'GetObject')
  const o = loadObject(ctx, bucket, ctx.key!, versionIdOf(ctx.query.get('versionId')))
  const { obj } = o
  // An SSE-C object is described only to the holder of its key, as a HEAD would be.
  await readPlan(ctx, o, undefined)
  const etag = await clientETag(ctx, obj)
  checkConditions(ctx.req, etag, obj.mtime)
  setVersionHeaders(ctx.res, obj.versionId)
  ctx.res.setHeader('last-modified', new Date(obj.mtime).toUTCString())
  const after = o.parts.filter((p) => p.partNumber > marker)
  const page = wanted.has('ObjectParts') && obj.multipart ? after.slice(0, maxParts) : []
  // The object's checksum (part 0) and the page's part checksums, opened together: one key for all of them.
  const refs: StoredChecksumRef[] = []
  if (wanted.has('Checksum') && obj.checksum !== null) refs.push({ partNumber: 0, algorithm: obj.checksum.algorithm, value: obj.checksum.value })
  for (const p of page) {
    const c = splitPartChecksum(p.checksum)
    if (c !== undefined) refs.push({ partNumber: p.partNumber, ...c })
  }
  const values = await clientChecksums(ctx, obj, refs)
  const shown = new Map<number, { algorithm: string; value: string }>()
  refs.forEach((r, i) => {
    const value = values[i]
    if (value !== undefined) shown.set(r.partNumber, { algorithm: r.algorithm, value })
  })
  const body: XNode[] = []
  if (wanted.has('ETag')) body.push(['ETag', etag])
  const whole = shown.get(0)
  if (wanted.has('Checksum') && obj.checksum !== null && whole !== undefined) {
    body.push(['Checksum', [[`Checksum${whole.algorithm}`, whole.value], ['ChecksumType', obj.checksum.type]]])
  }
  if (wanted.has('ObjectParts') && obj.multipart) {
    const last = page.at(-1)?.partNumber ?? 0
    const partChecksum = (n: number): XNode | undefined => {
      const c = shown.get(n)
      return c === undefined ? undefined : [`Checksum${c.algorithm}`, c.value]
    }
    body.push(['ObjectParts', [
      ['IsTruncated', after.length > page.length], ['MaxParts', maxParts], ['NextPartNumberMarker', last],
      ['PartNumberMarker', marker], ['PartsCount', o.parts.length],
      ...page.map((p): XNode => ['Part', [['PartNumber', p.partNumber], ['Size', p.size], partChecksum(p.partNumber)]]),
    ]])
  }
  if (wanted.has('StorageClass')) body.push(['StorageClass', storageClassOf(obj)])
  if (wanted.has('ObjectSize')) body.push(['ObjectSize', obj.size])
  sendXml(ctx, xmlDocument(['GetObjectAttributesResponse', body]))
}
