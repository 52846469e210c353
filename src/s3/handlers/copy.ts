/**
 * CopyObject, and the copy-source reading shared with UploadPartCopy: the source is read as plaintext (through
 * its crypto read plan) and written like a new upload (through the destination's write plan).
 *
 * @module
 */
import { pipeline, Readable } from 'node:stream'
import { s3err } from '../api/errors.js'
import { BodyCheck } from '../api/body.js'
import { header, sendXml, type Ctx } from '../api/context.js'
import { authorize } from '../api/authorize.js'
import type { ObjectMeta, StoredChecksum } from '../storage/meta.js'
import { encodeTags, parseTaggingHeader } from '../api/tag-set.js'
import { xmlDocument } from '../api/xml.js'
import { requireBucket, setHeaders, writePlan } from './common.js'
import { storeSinglePart } from './store-object.js'
import { clientObjectChecksum } from './checksums.js'
import { clientETag } from './etags.js'
import { loadObject, openStream, pinParts, readPlan, type OpenedObject } from './get.js'
import { checkKey, isoDate, metaFromHeaders } from './object-meta.js'
import { checkConditions } from './range.js'
import { parseCopySource } from '../api/copy-source.js'
import { lockForWrite } from './object-lock-headers.js'
import { checkWriteConditions } from './write-conditions.js'

/** A readable copy source. */
export interface CopySource {
  source: OpenedObject
  stream: Readable
  size: number
  /** The source's whole checksum as clients see it (opened when sealed), when asked for; else null. */
  checksum: StoredChecksum | null
}

/**
 * openCopySource authorizes (s3:GetObject), checks x-amz-copy-source-if-* and opens the source's plaintext,
 * optionally a byte range, and, when `withChecksum`, the source's FULL_OBJECT checksum (an encrypted source's is
 * sealed: opened before the read plan, which then reuses the object key). Throws S3Error
 * NoSuchBucket/NoSuchKey/AccessDenied/PreconditionFailed/InvalidRange, and the KMS errors of the source's read.
 */
export async function openCopySource(ctx: Ctx, range?: { start: number; end: number }, withChecksum = false): Promise<CopySource> {
  const { bucket, key, versionId } = parseCopySource(header(ctx.req, 'x-amz-copy-source')!)
  // Decided for the version read: its tags (s3:ExistingObjectTag), not those of the latest version.
  await authorize(ctx, 'GetObject', { bucket, key, versionId })
  const source = loadObject(ctx, bucket, key, versionId)
  // Until the stream holds the source's blobs itself, an overwrite of the source must not delete them.
  const unpin = pinParts(ctx, source)
  try {
    // MinIO answers the version asked for, verbatim, `null` included.
    if (versionId !== undefined) ctx.res.setHeader('x-amz-copy-source-version-id', versionId)
    // The source's SSE-C key is checked before its conditions: a 412 would tell whoever lacks the key whether
    // the source matches a guessed ETag or date (no range: no KMS call, no bytes).
    await readPlan(ctx, source, undefined, true)
    checkConditions(ctx.req, await clientETag(ctx, source.obj), source.obj.mtime, 'x-amz-copy-source-')
    if (range !== undefined && range.end >= source.obj.size) {
      throw s3err('InvalidArgument', 'Range specified is not valid for source object of size: ' + source.obj.size)
    }
    const want = range ?? { start: 0, end: source.obj.size - 1 }
    const checksum = withChecksum && source.obj.checksum?.type === 'FULL_OBJECT' ? await clientObjectChecksum(ctx, source.obj, true) : null
    const plan = await readPlan(ctx, source, source.obj.size === 0 ? undefined : want, true)
    const size = want.end - want.start + 1
    const stream = size === 0 ? Readable.from([]) : openStream(ctx, source, plan, want)
    return { source, stream, size, checksum }
  } finally {
    unpin()
  }
}

/**
 * checkedCopy is the copy source's stream through `check`: an error of either, even one the source met before
 * this call, destroys both, so the write sees it. Throws nothing.
 */
export function checkedCopy(src: CopySource, check: BodyCheck): Readable {
  return pipeline(src.stream, check, ignoreHere)
}

function ignoreHere(): void {
  // The write that consumes the check reports the error.
}


/**
 * copiedMeta is the metadata of a copy: the source's or the request's (x-amz-metadata-directive), and the
 * source's tags or x-amz-tagging's (x-amz-tagging-directive, COPY by default). Throws S3Error InvalidArgument.
 */
function copiedMeta(ctx: Ctx, directive: string, source: ObjectMeta): ObjectMeta {
  const tagDirective = (header(ctx.req, 'x-amz-tagging-directive') ?? 'COPY').toUpperCase()
  if (tagDirective !== 'COPY' && tagDirective !== 'REPLACE') throw s3err('InvalidArgument', 'Unknown tagging directive.', { ArgumentName: 'x-amz-tagging-directive' })
  const meta = { ...(directive === 'REPLACE' ? metaFromHeaders(ctx.req) : source) }
  // A copy never inherits its source's lock (MinIO filters it out): the destination's headers or default decide.
  delete meta.lock
  const given = header(ctx.req, 'x-amz-tagging')
  const replaced = given === undefined ? [] : parseTaggingHeader(given)
  const tags = tagDirective === 'COPY' ? source.tags : replaced.length > 0 ? encodeTags(replaced) : undefined
  if (tags === undefined) delete meta.tags
  else meta.tags = tags
  return meta
}

/**
 * copyObject serves CopyObject, conditional on the destination's If-None-Match / If-Match as PutObject (AWS since
 * 2025). Throws S3Error (InvalidRequest for a no-op self copy, PreconditionFailed, ...).
 */
export async function copyObject(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx)
  const key = ctx.key!
  checkKey(key)
  const directive = (header(ctx.req, 'x-amz-metadata-directive') ?? 'COPY').toUpperCase()
  if (directive !== 'COPY' && directive !== 'REPLACE') throw s3err('InvalidArgument', 'Unknown metadata directive.', { ArgumentName: 'x-amz-metadata-directive' })
  // Before the source is opened: a refused copy reads nothing of it.
  const expect = await checkWriteConditions(ctx, bucket, key)
  const src = await openCopySource(ctx, undefined, true)
  const { obj } = src.source
  // Naming the source's SSE-C key changes the encryption too (an in-place decryption or key rotation), as MinIO.
  const sseHeaders = Object.keys(ctx.req.headers).some((h) => h.startsWith('x-amz-server-side-encryption') || h.startsWith('x-amz-copy-source-server-side-encryption'))
  // Copying a named version onto its own key restores it (MinIO checks srcOpts.VersionID == "").
  const namedVersion = parseCopySource(header(ctx.req, 'x-amz-copy-source')!).versionId !== undefined
  if (obj.bucket === bucket && obj.key === key && directive === 'COPY' && !sseHeaders && !namedVersion
    && header(ctx.req, 'x-amz-storage-class') === undefined) {
    src.stream.destroy()
    throw s3err('InvalidRequest', 'This copy request is illegal because it is trying to copy an object to itself without changing the object\'s metadata, storage class, website redirect location or encryption attributes.')
  }
  let meta: ObjectMeta
  let plan: Awaited<ReturnType<typeof writePlan>>
  try {
    meta = copiedMeta(ctx, directive, obj.meta)
    const lock = await lockForWrite(ctx)
    if (lock !== undefined) meta.lock = lock
    plan = await writePlan(ctx, 'copy-object', { source: { bucket: obj.bucket, key: obj.key, internal: obj.internal } })
  } catch (err) {
    // An unread source stream holds its blobs until it is destroyed.
    src.stream.destroy()
    throw err
  }
  const check = new BodyCheck({ size: src.size })
  // A whole-object checksum stays valid for a byte-identical copy (sealed again under the destination's key).
  const { etag, checksum, mtime } = await storeSinglePart(ctx, {
    bucket, key, meta, checksum: () => src.checksum, expect,
  }, checkedCopy(src, check), check, plan)
  setHeaders(ctx, plan?.responseHeaders)
  sendXml(ctx, xmlDocument(['CopyObjectResult', [['LastModified', isoDate(mtime)], ['ETag', `"${etag}"`],
    ...(checksum !== null ? [[`Checksum${checksum.algorithm}`, checksum.value] as [string, string]] : [])]]))
}
