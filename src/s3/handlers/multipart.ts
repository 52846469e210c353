/**
 * Multipart uploads: CreateMultipartUpload, UploadPart, UploadPartCopy, AbortMultipartUpload. Completion and
 * listings are in multipart-complete.ts and multipart-list.ts.
 *
 * @module
 */
import { createHash } from 'node:crypto'
import { posix } from 'node:path'
import type { Readable } from 'node:stream'
import { algorithmOfHeader, checksumHeader, parseAlgorithm, type ChecksumAlgorithm } from '../checksum/checksum.js'
import { checkChecksumType } from '../checksum/multipart-checksum.js'
import { s3err } from '../api/errors.js'
import { BodyCheck, decodeBody } from '../api/body.js'
import { header, sendEmpty, sendXml, type Ctx } from '../api/context.js'
import { authorizeTagsSet } from '../api/authorize.js'
import type { UploadRow } from '../storage/uploads.js'
import { writeBlob } from '../storage/writer.js'
import { xmlDocument } from '../api/xml.js'
import { storedPartChecksum } from './checksums.js'
import { requireBucket, setHeaders, writePlan } from './common.js'
import { checkedCopy, openCopySource } from './copy.js'
import { checkKey, isoDate, metaFromHeaders } from './object-meta.js'
import { lockForWrite } from './object-lock-headers.js'

/** MAX_PART_SIZE is S3's part size limit (5 GiB); MAX_PARTS its part count limit. */
const MAX_PART_SIZE = 5 * 1024 ** 3
export const MAX_PARTS = 10000

/** requireUpload finds the upload named by ?uploadId for this bucket/key; throws S3Error NoSuchUpload. */
export function requireUpload(ctx: Ctx): UploadRow {
  const id = ctx.query.get('uploadId') ?? ''
  const upload = ctx.core.uploads.get(id)
  if (upload === undefined || upload.bucket !== ctx.bucket || upload.key !== ctx.key) throw s3err('NoSuchUpload')
  return upload
}

/** createMultipartUpload serves CreateMultipartUpload. */
export async function createMultipartUpload(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx)
  const key = ctx.key!
  checkKey(key)
  const meta = metaFromHeaders(ctx.req)
  // Tags given now land on the object at Complete: they need the tagging permission now, as on a PUT.
  if (meta.tags !== undefined) await authorizeTagsSet(ctx, meta.tags)
  // The lock is decided now, as MinIO does, and lands on the object at Complete with the rest of the metadata.
  const lock = await lockForWrite(ctx)
  if (lock !== undefined) meta.lock = lock
  const algo = header(ctx.req, 'x-amz-checksum-algorithm')
  const algorithm = algo === undefined ? null : parseAlgorithm(algo)
  const type = checkChecksumType(algorithm, header(ctx.req, 'x-amz-checksum-type'))
  const plan = await writePlan(ctx, 'create-multipart-upload')
  const checksum = algorithm === null || type === null ? null : { algorithm, type }
  const id = ctx.core.uploads.create(bucket, key, meta, checksum, plan?.internal)
  setHeaders(ctx, plan?.responseHeaders)
  if (checksum !== null) {
    ctx.res.setHeader('x-amz-checksum-algorithm', checksum.algorithm)
    ctx.res.setHeader('x-amz-checksum-type', checksum.type)
  }
  sendXml(ctx, xmlDocument(['InitiateMultipartUploadResult', [['Bucket', bucket], ['Key', key], ['UploadId', id]]]))
}

function partNumberOf(ctx: Ctx): number {
  const raw = ctx.query.get('partNumber') ?? ''
  if (!/^\d{1,5}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_PARTS) {
    throw s3err('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive', { ArgumentName: 'partNumber', ArgumentValue: raw })
  }
  return Number(raw)
}

/** storePart writes a part's plaintext stream as a part blob and records it; returns the ETag the client sees. */
async function storePart(ctx: Ctx, upload: UploadRow, partNumber: number, source: Readable, check: BodyCheck,
  operation: 'upload-part' | 'upload-part-copy'): Promise<{ etag: string; checksum?: string }> {
  const plan = await writePlan(ctx, operation, { upload: { uploadId: upload.id, partNumber, internal: upload.internal } })
  const written = await writeBlob(ctx.core.blobs, source, plan?.transform)
  let etag = check.md5Hex
  let shown: string | undefined
  try {
    if (plan?.finish !== undefined) {
      const fin = await plan.finish({ plainSize: check.size, storedSize: written.storedSize, md5Hex: check.md5Hex })
      etag = fin.etag ?? etag
      shown = fin.clientETag
    }
  } catch (err) {
    await ctx.core.blobs.abandon(written.blob)
    throw err
  }
  const checksum = check.checksum?.value
  // An encrypted part's checksum is stored sealed (its value is the plaintext's hash); the response shows it.
  const stored = ctx.core.uploads.putPart(upload.id, {
    partNumber, blob: written.blob, size: check.size, storedSize: written.storedSize, etag,
    checksum: checksum === undefined ? null : storedPartChecksum(plan, check.checksum!.algorithm, checksum),
  })
  if (!stored) {
    await ctx.core.blobs.abandon(written.blob)
    throw s3err('NoSuchUpload')
  }
  setHeaders(ctx, plan?.responseHeaders)
  return { etag: shown ?? etag, checksum }
}

/**
 * partChecksumAlgorithm names the algorithm of the checksum value an UploadPart request carries: declared in
 * x-amz-trailer, else sent as an x-amz-checksum-* header; '' when it carries none. Naming an algorithm alone
 * (x-amz-sdk-checksum-algorithm, x-amz-checksum-algorithm) is no checksum, as MinIO reads only the values.
 */
function partChecksumAlgorithm(ctx: Ctx): string {
  const trailer = header(ctx.req, 'x-amz-trailer')
  const trailed = trailer === undefined ? undefined : algorithmOfHeader(trailer.trim())
  if (trailed !== undefined) return trailed
  for (const name of Object.keys(ctx.req.headers)) {
    const algorithm = algorithmOfHeader(name)
    if (algorithm !== undefined) return algorithm
  }
  return ''
}

/**
 * checkPartAlgorithm refuses, before any byte is read, a part of an upload created with a checksum algorithm
 * unless the request carries a checksum of that very algorithm, as MinIO's PutObjectPart does
 * (cmd/erasure-multipart.go): another algorithm (the SDKs' default CRC32 on a CRC32C upload) or none at all.
 * Such a part could never be listed on CompleteMultipartUpload. Throws S3Error InvalidArgument (400) with
 * MinIO's text; AWS answers InvalidRequest "Checksum Type mismatch occurred, …" instead.
 */
function checkPartAlgorithm(ctx: Ctx, upload: UploadRow): void {
  const want = upload.checksumAlgorithm
  if (want === null) return
  const got = partChecksumAlgorithm(ctx)
  if (got === want) return
  // MinIO names the upload by its directory, sha256(bucket/key)/uploadId; the same shape keeps clients' patterns working.
  // (posix.join keeps a trailing slash, as MinIO's pathJoin does.)
  const dir = `${createHash('sha256').update(posix.join(upload.bucket, upload.key)).digest('hex')}/${upload.id}`
  throw s3err('InvalidArgument', `Invalid arguments provided for ${upload.bucket}/${dir}: (checksum missing, want "${want}", got "${got}")`)
}

/** uploadPart serves UploadPart; throws S3Error InvalidArgument for a part without the upload's checksum algorithm. */
export async function uploadPart(ctx: Ctx): Promise<void> {
  requireBucket(ctx)
  const partNumber = partNumberOf(ctx)
  const upload = requireUpload(ctx)
  // From here on a part of an upload with an algorithm carries a checksum of it, which decodeBody verifies and keeps.
  checkPartAlgorithm(ctx, upload)
  const body = decodeBody(ctx, { requireLength: true })
  if (body.size !== undefined && body.size > MAX_PART_SIZE) throw s3err('EntityTooLarge')
  const { etag, checksum } = await storePart(ctx, upload, partNumber, body.stream, body.check, 'upload-part')
  ctx.res.setHeader('etag', `"${etag}"`)
  if (checksum !== undefined) ctx.res.setHeader(checksumHeader(body.check.checksum!.algorithm), checksum)
  sendEmpty(ctx)
}

/** uploadPartCopy serves UploadPartCopy (with x-amz-copy-source-range). */
export async function uploadPartCopy(ctx: Ctx): Promise<void> {
  requireBucket(ctx)
  const partNumber = partNumberOf(ctx)
  const upload = requireUpload(ctx)
  const rangeHeader = header(ctx.req, 'x-amz-copy-source-range')
  let range: { start: number; end: number } | undefined
  if (rangeHeader !== undefined) {
    const m = /^bytes=(\d+)-(\d+)$/.exec(rangeHeader)
    if (m === null || Number(m[2]) < Number(m[1])) {
      throw s3err('InvalidArgument', 'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy', { ArgumentName: 'x-amz-copy-source-range' })
    }
    range = { start: Number(m[1]), end: Number(m[2]) }
  }
  const src = await openCopySource(ctx, range)
  if (src.size > MAX_PART_SIZE) {
    // An unread source stream holds its blobs until it is destroyed.
    src.stream.destroy()
    throw s3err('EntityTooLarge')
  }
  const algorithm = (upload.checksumAlgorithm ?? undefined) as ChecksumAlgorithm | undefined
  const check = new BodyCheck({ size: src.size, checksum: algorithm === undefined ? undefined : { algorithm } })
  let stored: { etag: string; checksum?: string }
  try {
    stored = await storePart(ctx, upload, partNumber, checkedCopy(src, check), check, 'upload-part-copy')
  } catch (err) {
    // storePart may fail before it reads (the write plan): the source would hold a descriptor and its blobs.
    src.stream.destroy()
    throw err
  }
  const { etag, checksum } = stored
  // As in S3's CopyPartResult: CompleteMultipartUpload wants this checksum listed, and clients (s3transfer) take it from here.
  sendXml(ctx, xmlDocument(['CopyPartResult', [['LastModified', isoDate(Date.now())], ['ETag', `"${etag}"`],
    algorithm === undefined || checksum === undefined ? undefined : [`Checksum${algorithm}`, checksum]]]))
}

/** abortMultipartUpload serves AbortMultipartUpload; throws S3Error NoSuchUpload. */
export function abortMultipartUpload(ctx: Ctx): Promise<void> {
  requireBucket(ctx)
  const upload = requireUpload(ctx)
  if (!ctx.core.uploads.abort(upload.id, (id) => ctx.core.meta.dropUpload(id))) throw s3err('NoSuchUpload')
  sendEmpty(ctx, 204)
  return Promise.resolve()
}
