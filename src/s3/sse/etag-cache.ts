/**
 * UnsealedETagCache: a bounded memory of SSE-S3 ETags already unsealed (sealed hex → MD5 hex), so that
 * listings and HEADs keep showing the right ETag while the KMS is unreachable. It is consulted only when the
 * KMS cannot be reached (online, every ETag still takes its KMS decrypt, as MinIO), and lives in memory only:
 * DATA_DIR never holds a plaintext MD5.
 *
 * @module
 */

/** DEFAULT_ETAG_CACHE_ENTRIES bounds the cache (about 200 bytes an entry: ~2 MB). */
const DEFAULT_ETAG_CACHE_ENTRIES = 10_000

/** UnsealedETagCache is a least-recently-used map with a fixed capacity. Methods never throw. */
export class UnsealedETagCache {
  readonly #entries = new Map<string, string>()

  constructor(private readonly capacity = DEFAULT_ETAG_CACHE_ENTRIES) {}

  /** get returns the MD5 shown for a sealed ETag, or undefined; a hit becomes the most recent entry. */
  get(sealed: string): string | undefined {
    const md5 = this.#entries.get(sealed)
    if (md5 !== undefined) {
      this.#entries.delete(sealed)
      this.#entries.set(sealed, md5)
    }
    return md5
  }

  /** set remembers an unsealed ETag, dropping the least recently used entry when full. */
  set(sealed: string, md5: string): void {
    if (this.capacity <= 0) return
    this.#entries.delete(sealed)
    this.#entries.set(sealed, md5)
    if (this.#entries.size > this.capacity) this.#entries.delete(this.#entries.keys().next().value!)
  }

  get size(): number {
    return this.#entries.size
  }
}
