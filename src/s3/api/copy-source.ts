/**
 * The `x-amz-copy-source` header, parsed one way for the copy and for its authorization (the condition values
 * once read the version out of it differently, and a copy of a denied version passed).
 *
 * @module
 */
import { headerText } from '../auth/header-text.js'
import { s3err } from './errors.js'
import { versionIdOf } from './version-id.js'

/**
 * parseCopySource splits x-amz-copy-source into bucket, key and the optional `?versionId=`; throws S3Error
 * InvalidArgument (no bucket or key, or a version id that is no UUID).
 */
export function parseCopySource(value: string): { bucket: string; key: string; versionId?: string } {
  // Non-ASCII bytes sent raw (not percent-encoded) are the client's UTF-8, as for every other header.
  const text = headerText(value)
  const q = text.indexOf('?')
  const versionId = q >= 0 ? versionIdOf(new URLSearchParams(text.slice(q + 1)).get('versionId')) : undefined
  const path = decodedOrRaw(q >= 0 ? text.slice(0, q) : text).replace(/^\//, '')
  const slash = path.indexOf('/')
  if (slash <= 0 || slash === path.length - 1) throw s3err('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey', { ArgumentName: 'x-amz-copy-source' })
  return { bucket: path.slice(0, slash), key: path.slice(slash + 1), versionId }
}

/**
 * decodedOrRaw percent-decodes a copy source, or takes it as written when it is not valid percent-encoding: MinIO
 * does so, and clients (minio-js's composeObject) send keys such as `five%mib.bin` unencoded. Throws nothing.
 */
function decodedOrRaw(path: string): string {
  try {
    return decodeURIComponent(path)
  } catch {
    return path
  }
}
