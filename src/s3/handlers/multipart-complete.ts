/**
 * CompleteMultipartUpload: validates the part list (order, existence, ETags, listed part checksums, minimum part
 * size), computes the md5-N ETag and the object checksum (multipart-checksum.ts), and makes the object visible
 * in one transaction without copying bytes.
 *
 * @module
 */
import { createHash } from 'node:crypto'
import { checksumHeader, type ChecksumAlgorithm } from '../checksum/checksum.js'
import { s3err } from '../api/errors.js'
import { readSmallBody } from '../api/body.js'
import { header, sendXml, type Ctx } from '../api/context.js'
import {
  checkClaimedChecksum, checkCompleteChecksumType, multipartChecksum, shownChecksum, takeClaimedChecksum,
} from '../checksum/multipart-checksum.js'
import type { PartRow } from '../storage/meta.js'
import { parseXml, xmlDocument } from '../api/xml.js'
import { openedPartChecksum, storedObjectChecksum } from './checksums.js'
import { commitObject, newObjectId, requireBucket, setHeaders, writePlan } from './common.js'
import { MAX_PARTS, requireUpload } from './multipart.js'
import { checkWriteConditions } from './write-conditions.js'
import { checkListedPartChecksum } from './multipart-part-checksum.js'

/** MIN_PART_SIZE is S3's minimum size of every part but the last (5 MiB). */
const MIN_PART_SIZE = 5 * 1024 * 1024

function unquote(etag: string): string {
  return etag.trim().replace(/^"|"$/g, '')
}

/** multipartEtag computes S3's ETag of a multipart object: md5 of the parts' binary md5s, then -N. */
function multipartEtag(etags: string[]): string {
  const md5 = createHash('md5')
  for (const e of etags) md5.update(/^[0-9a-f]{32}$/.test(e) ? Buffer.from(e, 'hex') : Buffer.from(e))
  return `${md5.digest('hex')}-${etags.length}`
}

/**
 * A list of 10,000 parts, each with its ETag and a checksum, is about 1.5 MB: the default 1 MiB refused valid
 * completions past ~8,000 checksummed parts (found by an attack). What the bytes may hold is bounded before
 * they are parsed (xml.ts's XML_LIMITS: tags, references and quotes for 10,000 parts, no text run past 64 KiB);
 * the part count itself once they are.
 */
const MAX_COMPLETE_BODY = 4 << 20

/** completeMultipartUpload serves CompleteMultipartUpload, conditional on If-None-Match / If-Match as PutObject. */
export async function completeMultipartUpload(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx)
  const upload = requireUpload(ctx)
  const claimed = takeClaimedChecksum(ctx.req)
  checkCompleteChecksumType(upload.checksumType, header(ctx.req, 'x-amz-checksum-type'))
  // If-None-Match / If-Match: refused before the part list is read; the upload stays, to be completed or aborted.
  const expect = await checkWriteConditions(ctx, bucket, upload.key)
  const doc = parseXml(await readSmallBody(ctx, MAX_COMPLETE_BODY), 'CompleteMultipartUpload')
  const requested = doc.Part
  if (!Array.isArray(requested) || requested.length === 0 || requested.length > MAX_PARTS) throw s3err('MalformedXML')
  const wanted: Array<{ num: number; etag: string; listed: Record<string, unknown> }> = []
  let previous = 0
  for (const entry of requested as Array<Record<string, unknown>>) {
    const num = Number(entry.PartNumber)
    if (typeof entry.PartNumber !== 'string' || !Number.isInteger(num) || typeof entry.ETag !== 'string') throw s3err('MalformedXML')
    if (num <= previous) throw s3err('InvalidPartOrder')
    previous = num
    wanted.push({ num, etag: unquote(entry.ETag), listed: entry })
  }
  // The crypto plan comes before the part checks: an encrypted upload stores sealed part ETags, and the client's
  // ETags are compared with (and the md5-N ETag computed from) the ones it was shown (MinIO erasure
  // CompleteMultipartUpload with tryDecryptETag; the handler's etag.Multipart over the client's part ETags).
  const plan = await writePlan(ctx, 'complete-multipart-upload', { upload: { uploadId: upload.id, internal: upload.internal } })
  // Aborted (or completed) while the body and the plan were awaited: its parts are gone, and it is the upload
  // that is missing, not a part.
  if (ctx.core.uploads.get(upload.id) === undefined) throw s3err('NoSuchUpload')
  const stored = new Map(ctx.core.uploads.parts(upload.id).map((p) => [p.partNumber, p]))
  const chosen: PartRow[] = []
  // The chosen parts with their checksums opened (an encrypted upload stores them sealed), to form the object's.
  const opened: Array<Pick<PartRow, 'size' | 'checksum'>> = []
  const shown: string[] = []
  // Each part is checked whole before the next, in MinIO's order (existence, ETag, listed checksum, size), so a
  // list with several faults gets the error MinIO gives.
  for (const [i, w] of wanted.entries()) {
    const part = stored.get(w.num)
    if (part === undefined || w.etag !== (plan?.clientPartETag?.(part.etag) ?? part.etag)) throw s3err('InvalidPart')
    // Opened only when the upload has an algorithm: an SSE-C upload without one completes without its key.
    const checksum = upload.checksumAlgorithm === null ? part.checksum : openedPartChecksum(plan, part.partNumber, part.checksum)
    checkListedPartChecksum(upload.checksumAlgorithm, w.listed, checksum)
    if (i < wanted.length - 1 && part.size < MIN_PART_SIZE) {
      throw s3err('EntityTooSmall', undefined, { ProposedSize: String(part.size), MinSizeAllowed: String(MIN_PART_SIZE) })
    }
    chosen.push(part)
    opened.push({ size: part.size, checksum })
    shown.push(w.etag)
  }
  const checksum = multipartChecksum(upload.checksumAlgorithm, opened, upload.checksumType)
  checkClaimedChecksum(claimed, checksum, chosen.length)
  const size = chosen.reduce((n, p) => n + p.size, 0)
  const storedSize = chosen.reduce((n, p) => n + p.storedSize, 0)
  let etag = multipartEtag(shown)
  let internal = plan?.internal ?? upload.internal
  if (plan?.finish !== undefined) {
    const fin = await plan.finish({ plainSize: size, storedSize, md5Hex: etag })
    etag = fin.etag ?? etag
    internal = fin.internal ?? internal
  }
  await commitObject(ctx, {
    bucket, key: upload.key, id: newObjectId(), size, storedSize, etag, mtime: Date.now(), multipart: true,
    meta: upload.meta, checksum: storedObjectChecksum(plan, checksum), internal,
  }, chosen, upload.id, expect)
  setHeaders(ctx, plan?.responseHeaders)
  const shownValue = checksum === null ? '' : shownChecksum(checksum, chosen.length)
  const checksumEl = checksum === null ? [] : [[`Checksum${checksum.algorithm}`, shownValue], ['ChecksumType', checksum.type]] as Array<[string, string]>
  if (checksum !== null) {
    ctx.res.setHeader(checksumHeader(checksum.algorithm as ChecksumAlgorithm), shownValue)
    ctx.res.setHeader('x-amz-checksum-type', checksum.type)
  }
  sendXml(ctx, xmlDocument(['CompleteMultipartUploadResult', [
    ['Location', `/${bucket}/${upload.key}`], ['Bucket', bucket], ['Key', upload.key], ['ETag', `"${etag}"`], ...checksumEl,
  ]]))
}
