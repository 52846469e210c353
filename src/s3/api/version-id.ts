/**
 * The `versionId` of a request (its query, or its copy source), read one way wherever it is used: the
 * authorization of a request must name the very version its handler reads (a version id with a space around
 * it once passed a Deny on the version and read it all the same).
 *
 * @module
 */
import { NULL_VERSION } from '../storage/versions.js'
import { s3err } from './errors.js'

/** A version id as keyhold-s3 issues them (besides `null`). */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * versionIdOf reads and checks a `versionId` (query or copy source); undefined when absent or empty (as MinIO
 * treats it). Throws S3Error InvalidArgument (MinIO's ErrInvalidVersionID) unless it is `null` or a UUID.
 */
export function versionIdOf(raw: string | undefined | null): string | undefined {
  const v = raw?.trim()
  if (v === undefined || v === '') return undefined
  if (v !== NULL_VERSION && !UUID.test(v)) throw s3err('InvalidArgument', 'Invalid version id specified')
  return v
}

/**
 * requestedVersion is {@link versionIdOf} that throws nothing: what a request names, as its handler will read
 * it, or undefined (absent, or invalid: the handler refuses that). For authorization and condition values.
 */
export function requestedVersion(raw: string | undefined | null): string | undefined {
  try {
    return versionIdOf(raw)
  } catch {
    return raw?.trim() || undefined
  }
}
