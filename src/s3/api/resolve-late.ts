/**
 * Subresources served since the table of unsupported ones was written, resolved ahead of it: object lock's
 * (`?object-lock` on a bucket, `?retention` and `?legal-hold` on an object) and `?attributes` (GetObjectAttributes),
 * as AWS's API reference defines them.
 *
 * @module
 */
import type { S3Operation } from './actions.js'
import { s3err } from './errors.js'

const LATE_OPS: Record<string, { on: 'bucket' | 'object'; ops: Partial<Record<string, S3Operation>> }> = {
  'object-lock': { on: 'bucket', ops: { GET: 'GetObjectLockConfiguration', PUT: 'PutObjectLockConfiguration' } },
  retention: { on: 'object', ops: { GET: 'GetObjectRetention', PUT: 'PutObjectRetention' } },
  'legal-hold': { on: 'object', ops: { GET: 'GetObjectLegalHold', PUT: 'PutObjectLegalHold' } },
  attributes: { on: 'object', ops: { GET: 'GetObjectAttributes' } },
}

/**
 * lateOperation names the operation such a subresource request calls, or undefined when it names none. Throws
 * S3Error MethodNotAllowed for another method, or a bucket subresource asked of an object and the other way round.
 */
export function lateOperation(method: string, key: string | undefined, q: Map<string, string>): S3Operation | undefined {
  for (const [sub, { on, ops }] of Object.entries(LATE_OPS)) {
    if (!q.has(sub)) continue
    if ((on === 'object') !== (key !== undefined)) throw s3err('MethodNotAllowed')
    const op = Object.hasOwn(ops, method) ? ops[method] : undefined
    if (op === undefined) throw s3err('MethodNotAllowed')
    return op
  }
  return undefined
}
