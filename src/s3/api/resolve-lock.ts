/**
 * The object lock subresources: `?object-lock` on a bucket, `?retention` and `?legal-hold` on an object (AWS's
 * API reference), resolved ahead of the table of unsupported subresources.
 *
 * @module
 */
import type { S3Operation } from './actions.js'
import { s3err } from './errors.js'

const LOCK_OPS = {
  'object-lock': { on: 'bucket', GET: 'GetObjectLockConfiguration', PUT: 'PutObjectLockConfiguration' },
  retention: { on: 'object', GET: 'GetObjectRetention', PUT: 'PutObjectRetention' },
  'legal-hold': { on: 'object', GET: 'GetObjectLegalHold', PUT: 'PutObjectLegalHold' },
} as const satisfies Record<string, { on: 'bucket' | 'object'; GET: S3Operation; PUT: S3Operation }>

/**
 * lockOperation names the object lock operation a request calls, or undefined when it calls none. Throws
 * S3Error MethodNotAllowed for another method, or a bucket subresource asked of an object and the other way round.
 */
export function lockOperation(method: string, key: string | undefined, q: Map<string, string>): S3Operation | undefined {
  for (const [sub, ops] of Object.entries(LOCK_OPS)) {
    if (!q.has(sub)) continue
    if ((ops.on === 'object') !== (key !== undefined)) throw s3err('MethodNotAllowed')
    if (method !== 'GET' && method !== 'PUT') throw s3err('MethodNotAllowed')
    return ops[method]
  }
  return undefined
}
