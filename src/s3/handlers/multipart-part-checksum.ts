/**
 * The part checksums a CompleteMultipartUpload body lists (`<ChecksumCRC32>` and its siblings inside each
 * `<Part>`), checked against the ones stored when the parts were uploaded.
 *
 * MinIO (cmd/erasure-multipart.go, CompleteMultipartUpload) is followed where AWS does not say more: when the
 * upload has a checksum algorithm, each listed part must carry the element of that algorithm with exactly the
 * stored value, and a part stored without that checksum cannot be completed; elements of other algorithms are
 * ignored, and an upload without an algorithm ignores them all. Every refusal is MinIO's InvalidPart (400 with
 * the catalogue text). AWS refuses a missing element with InvalidRequest instead; SDKs that use checksums
 * (AWS SDK v3, lib-storage Upload, s3transfer) list them, so the difference only shows to hand-written bodies.
 *
 * @module
 */
import { s3err } from '../api/errors.js'

/**
 * checkListedPartChecksum compares the part checksum listed in one `<Part>` of a CompleteMultipartUpload body
 * with the part's stored checksum (`ALGO:base64`, or none). Throws S3Error InvalidPart when the upload has an
 * algorithm and the listed value of that algorithm is missing or differs, or the part has no stored checksum
 * of it.
 */
export function checkListedPartChecksum(algorithm: string | null, listedPart: Record<string, unknown>, stored: string | null | undefined): void {
  if (algorithm === null) return
  const colon = stored?.indexOf(':') ?? -1
  const storedAlgorithm = colon < 0 ? undefined : stored!.slice(0, colon)
  const storedValue = colon < 0 ? '' : stored!.slice(colon + 1)
  if (storedAlgorithm !== algorithm || storedValue === '') throw s3err('InvalidPart')
  // A repeated or nested element parses as an array or object, never equal to the stored text.
  if (listedPart[`Checksum${algorithm}`] !== storedValue) throw s3err('InvalidPart')
}
