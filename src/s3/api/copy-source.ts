/**
 * The `x-amz-copy-source` header, parsed one way for the copy and for its authorization (the condition values
 * once read the version out of it differently, and a copy of a denied version passed).
 *
 * @module
 */
import { safeDecode } from '../auth/sigv4/canonical.js'
import { s3err } from './errors.js'
import { versionIdOf } from './version-id.js'

/**
 * parseCopySource splits x-amz-copy-source into bucket, key and the optional `?versionId=`; throws S3Error
 * InvalidArgument (no bucket or key, or a version id that is no UUID).
 */
export function parseCopySource(value: string): { bucket: string; key: string; versionId?: string } {
  const q = value.indexOf('?')
  const versionId = q >= 0 ? versionIdOf(new URLSearchParams(value.slice(q + 1)).get('versionId')) : undefined
  const path = safeDecode(q >= 0 ? value.slice(0, q) : value).replace(/^\//, '')
  const slash = path.indexOf('/')
  if (slash <= 0 || slash === path.length - 1) throw s3err('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey', { ArgumentName: 'x-amz-copy-source' })
  return { bucket: path.slice(0, slash), key: path.slice(slash + 1), versionId }
}

