/**
 * The one path that stores a single-part object (PutObject, a browser form upload, CopyObject): the bytes
 * go through the write plan's cipher into a new blob, the plan seals what it seals, then the metadata is
 * committed in one transaction. A refusal after the bytes are written abandons the blob, so nothing is left.
 *
 * @module
 */
import type { Readable } from 'node:stream'
import type { Ctx } from '../api/context.js'
import type { BodyCheck } from '../api/body.js'
import type { WritePlan } from '../extensions.js'
import type { ObjectMeta, StoredChecksum } from '../storage/meta.js'
import { writeBlob } from '../storage/writer.js'
import { storedObjectChecksum } from './checksums.js'
import { commitObject, newObjectId } from './common.js'
import type { WriteExpectation } from './write-conditions.js'

/** What a single-part write stores besides its bytes. */
export interface SinglePartObject {
  bucket: string
  key: string
  meta: ObjectMeta
  /** The whole-object checksum to keep (default: the one the verified body carried, as FULL_OBJECT). */
  checksum?: (check: BodyCheck) => StoredChecksum | null
  /** Runs once the bytes are written and before anything is sealed; throw to refuse them. */
  accept?: (check: BodyCheck) => void
  /** A conditional write's expectation of the key's current object, checked again in the commit. */
  expect?: WriteExpectation
}

/**
 * storeSinglePart writes `body` (already piped through `check`) as a new object version and commits it;
 * returns the ETag the client sees (unquoted), the checksum (as the client sees it; an encrypted write stores it
 * sealed through the plan) and the modification time. Throws what the write, `accept`,
 * the plan or the commit throw (S3Error for a refused body, NoSuchBucket for a bucket deleted meanwhile).
 */
export async function storeSinglePart(
  ctx: Ctx, object: SinglePartObject, body: Readable, check: BodyCheck, plan: WritePlan | undefined,
): Promise<{ etag: string; checksum: StoredChecksum | null; mtime: number }> {
  const written = await writeBlob(ctx.core.blobs, body, plan?.transform)
  let etag = check.md5Hex
  let shown: string | undefined
  let internal = plan?.internal
  try {
    object.accept?.(check)
    if (plan?.finish !== undefined) {
      const fin = await plan.finish({ plainSize: check.size, storedSize: written.storedSize, md5Hex: check.md5Hex })
      etag = fin.etag ?? etag
      shown = fin.clientETag
      internal = fin.internal ?? internal
    }
  } catch (err) {
    await ctx.core.blobs.abandon(written.blob)
    throw err
  }
  const checksum = object.checksum !== undefined ? object.checksum(check)
    : check.checksum === undefined ? null : { ...check.checksum, type: 'FULL_OBJECT' as const }
  const mtime = Date.now()
  await commitObject(ctx, {
    bucket: object.bucket, key: object.key, id: newObjectId(), size: check.size, storedSize: written.storedSize, etag,
    mtime, multipart: false, meta: object.meta, checksum: storedObjectChecksum(plan, checksum), internal,
  }, [{ partNumber: 1, blob: written.blob, size: check.size, storedSize: written.storedSize, etag }], undefined, object.expect)
  return { etag: shown ?? etag, checksum, mtime }
}
