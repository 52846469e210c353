/**
 * GetObject and HeadObject: conditional headers, ranges, part numbers, checksum mode, and the crypto read
 * plan that maps a plaintext range onto stored bytes.
 *
 * @module
 */
import { finished, pipeline } from 'node:stream/promises'
import type { Readable } from 'node:stream'
import { checksumHeader, type ChecksumAlgorithm } from '../checksum/checksum.js'
import { s3err } from '../api/errors.js'
import type { ReadPlan } from '../extensions.js'
import { header, type Ctx } from '../api/context.js'
import type { ObjectRow, PartRow } from '../storage/meta.js'
import { DecryptStream } from '../storage/decrypt-stream.js'
import { readRange } from '../storage/reader.js'
import { writeRange } from '../storage/range-writer.js'
import { getVersion, latestDeleteMarker } from '../storage/versions.js'
import { setExpirationHeader } from '../lifecycle/predict.js'
import { clientObjectChecksum } from './checksums.js'
import { requireBucket, setHeaders } from './common.js'
import { clientETag } from './etags.js'
import { setObjectHeaders } from './object-meta.js'
import { setLockHeaders } from './object-lock-headers.js'
import { checkConditions, parseRange } from './range.js'
import { setVersionHeaders, versionIdOf } from './versioning.js'

/** OpenedObject is an object resolved for reading. */
export interface OpenedObject {
  obj: ObjectRow
  parts: PartRow[]
}

/**
 * loadObject returns an object (its current version, or the given version) and its parts. Throws S3Error
 * NoSuchBucket, NoSuchKey (also when the current version is a delete marker), NoSuchVersion, or
 * MethodNotAllowed for a delete marker named by version id; on a delete marker the response carries
 * x-amz-delete-marker and its version id, as MinIO answers.
 */
export function loadObject(ctx: Ctx, bucket: string, key: string, versionId?: string): OpenedObject {
  const meta = ctx.core.meta
  if (versionId !== undefined) {
    const version = getVersion(meta, bucket, key, versionId)
    if (version === undefined) {
      if (!meta.bucketExists(bucket)) throw s3err('NoSuchBucket')
      throw s3err('NoSuchVersion')
    }
    if (version.deleteMarker) {
      setVersionHeaders(ctx.res, version.versionId, true)
      throw s3err('MethodNotAllowed')
    }
    return { obj: version, parts: meta.parts(version.id) }
  }
  const obj = meta.getObject(bucket, key)
  if (obj === undefined) {
    if (!meta.bucketExists(bucket)) throw s3err('NoSuchBucket')
    const marker = latestDeleteMarker(meta, bucket, key)
    if (marker !== undefined) setVersionHeaders(ctx.res, marker.versionId, true)
    throw s3err('NoSuchKey')
  }
  return { obj, parts: meta.parts(obj.id) }
}

/**
 * pinParts keeps the blobs of `o` on disk until the returned function is called (once; later calls do
 * nothing). An overwrite or delete committed meanwhile makes them garbage, and the collector unlinks garbage
 * no reader holds: a reader that awaits anything (an ETag from the KMS, a read plan) between loadObject and
 * opening the blobs must pin them in the same synchronous step as loadObject. Throws nothing.
 */
export function pinParts(ctx: Ctx, o: OpenedObject): () => void {
  return ctx.core.blobs.pin(o.parts.map((p) => p.blob))
}

/**
 * readPlan asks the crypto hook how to read a plaintext range of an object (identity when not encrypted).
 * Throws what the hook throws.
 */
export async function readPlan(
  ctx: Ctx, o: OpenedObject, range: { start: number; end: number } | undefined, copySource = false,
): Promise<ReadPlan> {
  if (o.obj.internal === undefined || o.obj.internal === null || ctx.core.crypto === undefined) {
    return { storedRange: range }
  }
  return ctx.core.crypto.read({
    bucket: o.obj.bucket, key: o.obj.key, headers: ctx.req.headers, secure: ctx.secure, copySource,
    internal: o.obj.internal, plainSize: o.obj.size, storedSize: o.obj.storedSize, multipart: o.obj.multipart, range,
    parts: o.parts.map((p) => ({ partNumber: p.partNumber, plainSize: p.size, storedSize: p.storedSize, etag: p.etag })),
  })
}

/** openStream streams a plaintext range of an object (stored range through the plan's transform). */
export function openStream(ctx: Ctx, o: OpenedObject, plan: ReadPlan, range: { start: number; end: number }): Readable {
  const stored = plan.storedRange ?? range
  const raw = readRange(ctx.core.blobs, o.parts, stored.start, stored.end, plan.decrypter?.unit)
  const t = plan.decrypter !== undefined ? new DecryptStream(plan.decrypter) : plan.transform
  const out = t === undefined ? raw : raw.pipe(t)
  if (t !== undefined) {
    raw.on('error', (err) => t.destroy(err))
    // pipe() does not pass a destroy upstream: the reader would keep its file open and its blobs pinned.
    t.once('close', () => raw.destroy())
  }
  // A copy awaits the KMS and the lock before it consumes this: a read error meanwhile must wait for the
  // consumer (who finds it on the destroyed stream), never go unhandled and end the process.
  out.on('error', keptForTheConsumer)
  return out
}

function keptForTheConsumer(): void {
  // See openStream.
}

function partRange(o: OpenedObject, partNumber: number): { start: number; end: number } {
  let start = 0
  for (const p of o.parts) {
    if (p.partNumber === partNumber || (!o.obj.multipart && partNumber === 1)) return { start, end: start + p.size - 1 }
    start += p.size
  }
  throw s3err('InvalidPart', 'The requested partnumber is not satisfiable')
}

/** getObject serves GetObject (head = false) and HeadObject (head = true). */
export async function getObject(ctx: Ctx, head = false): Promise<void> {
  // MinIO refuses SSE-S3 and SSE-KMS request headers on a read (AWS fails such a request too): only SSE-C
  // keys belong on a GET or HEAD.
  const h = ctx.req.headers
  if (h['x-amz-server-side-encryption'] !== undefined || h['x-amz-server-side-encryption-aws-kms-key-id'] !== undefined
    || h['x-amz-server-side-encryption-context'] !== undefined) {
    throw s3err('BadRequest')
  }
  const bucket = requireBucket(ctx)
  const o = loadObject(ctx, bucket, ctx.key!, versionIdOf(ctx.query.get('versionId')))
  const unpin = pinParts(ctx, o)
  try {
    await serveObject(ctx, o, head)
  } finally {
    unpin()
  }
}

/** serveObject answers GetObject or HeadObject for a loaded (and pinned) object. Throws S3Error. */
async function serveObject(ctx: Ctx, o: OpenedObject, head: boolean): Promise<void> {
  const { obj } = o
  // The SSE-C key is checked before anything about the object is answered: without it (400) or with a wrong
  // one (403), a 304/412 or an ETag/Last-Modified would tell whoever lacks the key whether the object matches
  // a guessed ETag and when it changed. This plan (no range: no KMS call, no bytes) serves a HEAD as is.
  const keyChecked = await readPlan(ctx, o, undefined)
  // Conditions compare against the ETag the client sees (MinIO decrypts the ETag before checkPreconditions).
  const etag = await clientETag(ctx, obj)
  // A 304 or 412 still names the object's ETag and date (MinIO's writeHeadersPrecondition).
  ctx.res.setHeader('etag', `"${etag}"`)
  ctx.res.setHeader('last-modified', new Date(obj.mtime).toUTCString())
  checkConditions(ctx.req, etag, obj.mtime)
  const partNumber = ctx.query.get('partNumber')
  let range: { start: number; end: number } | undefined
  if (partNumber !== undefined) {
    if (!/^\d{1,5}$/.test(partNumber) || Number(partNumber) < 1) throw s3err('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive')
    range = partRange(o, Number(partNumber))
    ctx.res.setHeader('x-amz-mp-parts-count', String(obj.multipart ? o.parts.length : 1))
  } else {
    range = parseRange(header(ctx.req, 'range'), obj.size)
  }
  const full = { start: 0, end: obj.size - 1 }
  const want = range ?? full
  // Only asked for: an encrypted object's checksum is sealed and takes its object key (a KMS decrypt for
  // SSE-S3/SSE-KMS, which the body's read plan below then reuses), so a KMS outage never breaks a plain HEAD.
  const checksumMode = header(ctx.req, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED' && obj.checksum !== null && range === undefined
  const checksum = checksumMode ? await clientObjectChecksum(ctx, obj) : null
  const plan = head || obj.size === 0 ? keyChecked : await readPlan(ctx, o, want)
  const res = ctx.res
  setObjectHeaders(res, obj, ctx.query, etag)
  setVersionHeaders(res, obj.versionId)
  await setLockHeaders(ctx, res, obj.meta.lock)
  setExpirationHeader(res, ctx.core.meta, obj)
  setHeaders(ctx, plan.responseHeaders)
  if (checksum !== null) {
    const suffix = checksum.type === 'COMPOSITE' ? `-${o.parts.length}` : ''
    res.setHeader(checksumHeader(checksum.algorithm as ChecksumAlgorithm), checksum.value + suffix)
    res.setHeader('x-amz-checksum-type', checksum.type)
  }
  const length = range === undefined ? obj.size : range.end - range.start + 1
  res.setHeader('content-length', String(length))
  if (range !== undefined) res.setHeader('content-range', `bytes ${range.start}-${range.end}/${obj.size}`)
  res.statusCode = range !== undefined ? 206 : 200
  if (head || length === 0) {
    res.end()
    return
  }
  try {
    if (plan.transform === undefined) {
      // Written from reused buffers, decrypted on the way when encrypted (range-writer.ts says why not a stream).
      const stored = plan.storedRange ?? want
      await writeRange(ctx.core.blobs, o.parts, stored.start, stored.end, res, plan.decrypter)
      res.end()
      await finished(res)
    } else {
      await pipeline(openStream(ctx, o, plan, want), res)
    }
  } catch {
    // The client went away or a read failed mid-body: the status is already sent, so just drop the connection.
    res.destroy()
  }
}
