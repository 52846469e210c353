/**
 * The ETags clients see. The stored ETag of an encrypted object may be sealed (SSE-S3 single-part objects
 * need a KMS decrypt to show their MD5), so every response and every conditional header goes through the
 * crypto hook's `clientETags` rather than reading the stored value.
 *
 * @module
 */
import type { Ctx } from '../api/context.js'
import type { ObjectRow } from '../storage/meta.js'

/**
 * LIST_ETAG_CONCURRENCY bounds the KMS decrypts one listing runs at once (MinIO's `DecryptETags` decrypts
 * the SSE-S3 ETags of a page in batches; KES has no bulk decrypt, so this is one request per object).
 */
const LIST_ETAG_CONCURRENCY = 8

type Shown = Pick<ObjectRow, 'bucket' | 'key' | 'etag' | 'internal'>

/** clientETag returns the ETag a client sees for an object; throws S3Error from the crypto hook (e.g. `kms:*`). */
export async function clientETag(ctx: Ctx, row: Shown, listing = false): Promise<string> {
  const crypto = ctx.core.crypto
  if (row.internal === undefined || row.internal === null || crypto?.clientETags === undefined) return row.etag
  const [etag] = await crypto.clientETags({ bucket: row.bucket, key: row.key, internal: row.internal, listing }, [row.etag])
  return etag ?? row.etag
}

/**
 * clientETagsOf returns the ETags a client sees for listed objects, in order, running at most
 * {@link LIST_ETAG_CONCURRENCY} lookups at once. While the KMS is unreachable the hook shows remembered or
 * fallback ETags instead (docs/operations.md); otherwise throws the first S3Error of the crypto hook (the listing
 * then fails as a GET of that object would).
 */
export async function clientETagsOf(ctx: Ctx, rows: readonly Shown[]): Promise<string[]> {
  const out = rows.map((r) => r.etag)
  const pending = rows.map((_, i) => i).filter((i) => rows[i]!.internal !== undefined && rows[i]!.internal !== null)
  if (pending.length === 0 || ctx.core.crypto?.clientETags === undefined) return out
  let next = 0
  let failed: unknown
  const worker = async (): Promise<void> => {
    while (next < pending.length && failed === undefined) {
      const i = pending[next++]!
      try {
        out[i] = await clientETag(ctx, rows[i]!, true)
      } catch (err) {
        failed ??= err
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(LIST_ETAG_CONCURRENCY, pending.length) }, worker))
  if (failed !== undefined) throw failed
  return out
}
