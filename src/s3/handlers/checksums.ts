/**
 * The checksums (x-amz-checksum-*) stored and shown. The checksum of an encrypted object or part is stored in
 * the form its write plan gives it (sealed under the object key: sse/checksum-seal.ts), so every write goes
 * through the plan's `sealChecksum` and every response that shows a stored checksum goes through the crypto
 * hook's `clientChecksums`, as ETags do (etags.ts). The algorithm and type are always stored in clear.
 *
 * @module
 */
import type { Ctx } from '../api/context.js'
import type { StoredChecksumRef, WritePlan } from '../extensions.js'
import type { ObjectRow, StoredChecksum } from '../storage/meta.js'

type Subject = Pick<ObjectRow, 'bucket' | 'key' | 'internal'>

/** A part checksum split from its stored `ALGO:value` form. */
export interface PartChecksum {
  algorithm: string
  value: string
}

/** splitPartChecksum reads a stored part checksum (`ALGO:value`); undefined when there is none. Throws nothing. */
export function splitPartChecksum(stored: string | null | undefined): PartChecksum | undefined {
  const at = stored?.indexOf(':') ?? -1
  if (at <= 0) return undefined
  return { algorithm: stored!.slice(0, at), value: stored!.slice(at + 1) }
}

/** storedObjectChecksum is the form in which to store an object's checksum written through `plan`. Throws what the plan's sealChecksum throws. */
export function storedObjectChecksum(plan: WritePlan | undefined, checksum: StoredChecksum | null): StoredChecksum | null {
  if (checksum === null || plan?.sealChecksum === undefined) return checksum
  return { ...checksum, value: plan.sealChecksum(checksum.algorithm, checksum.value) }
}

/** storedPartChecksum is the `ALGO:value` to store for a part's checksum written through `plan`. Throws nothing. */
export function storedPartChecksum(plan: WritePlan | undefined, algorithm: string, value: string): string {
  return `${algorithm}:${plan?.sealChecksum === undefined ? value : plan.sealChecksum(algorithm, value)}`
}

/**
 * openedPartChecksum is a stored part checksum of an upload being completed, as `ALGO:value` with the value
 * opened by the completion's plan (unchanged without one). Throws S3Error from the plan (InvalidRequest for an
 * SSE-C upload completed without its key, InternalError for a value that does not open).
 */
export function openedPartChecksum(plan: WritePlan | undefined, partNumber: number, stored: string | null | undefined): string | null | undefined {
  const split = splitPartChecksum(stored)
  if (split === undefined || plan?.openPartChecksum === undefined) return stored
  return `${split.algorithm}:${plan.openPartChecksum(partNumber, split.algorithm, split.value)}`
}

/**
 * clientChecksums returns the checksum values clients see for stored ones of an object or upload, in order;
 * an entry is undefined when this request may not see it (an SSE-C subject without its key). Throws S3Error
 * from the crypto hook (`kms:*`/503 when the KMS is needed and fails, AccessDenied for a wrong SSE-C key).
 */
export async function clientChecksums(ctx: Ctx, row: Subject, refs: StoredChecksumRef[], copySource = false): Promise<Array<string | undefined>> {
  const crypto = ctx.core.crypto
  if (refs.length === 0 || row.internal === undefined || row.internal === null || crypto?.clientChecksums === undefined) {
    return refs.map((r) => r.value)
  }
  return crypto.clientChecksums({
    bucket: row.bucket, key: row.key, internal: row.internal, headers: ctx.req.headers, secure: ctx.secure, copySource,
  }, refs)
}

/**
 * clientObjectChecksum returns an object's whole checksum as clients see it; null when it has none or this
 * request may not see it. Throws as {@link clientChecksums}.
 */
export async function clientObjectChecksum(ctx: Ctx, obj: Subject & Pick<ObjectRow, 'checksum'>, copySource = false): Promise<StoredChecksum | null> {
  if (obj.checksum === null) return null
  const [value] = await clientChecksums(ctx, obj, [{ partNumber: 0, algorithm: obj.checksum.algorithm, value: obj.checksum.value }], copySource)
  return value === undefined ? null : { ...obj.checksum, value }
}
