/**
 * The POST policy of a browser form upload, checked as MinIO's checkPostPolicy does: not expired, every
 * condition (`eq`, `starts-with`, `content-length-range`, `{field: value}`) holds, and every user metadata
 * field (`x-amz-meta-*`) is named by a condition.
 *
 * @module
 */
import { s3err, type S3Error } from '../api/errors.js'

/** A parsed POST policy. */
export interface PostPolicy {
  expiration: number
  conditions: Array<{ op: 'eq' | 'starts-with'; field: string; value: string }>
  lengthRange: { min: number; max: number } | undefined
}

/** policyDenied is MinIO's 403 AccessDenied "Invalid according to Policy: …"; throws nothing. */
function policyDenied(reason: string): S3Error {
  return s3err('AccessDenied', `Invalid according to Policy: ${reason}`)
}

const malformed = (): S3Error => s3err('MalformedPOSTRequest')

/** parsePostPolicy decodes the base64 JSON policy; throws S3Error MalformedPOSTRequest for anything else. */
export function parsePostPolicy(base64: string): PostPolicy {
  let doc: unknown
  try {
    doc = JSON.parse(Buffer.from(base64, 'base64').toString('utf8'))
  } catch {
    throw malformed()
  }
  if (typeof doc !== 'object' || doc === null) throw malformed()
  const { expiration, conditions } = doc as { expiration?: unknown; conditions?: unknown }
  // ISO 8601 in UTC as AWS documents it; Date.parse alone would take `2026-01-01 10:00:00+00:00` too.
  const iso = typeof expiration === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/.test(expiration)
  const exp = iso ? Date.parse(expiration as string) : NaN
  if (Number.isNaN(exp) || !Array.isArray(conditions)) throw malformed()
  const policy: PostPolicy = { expiration: exp, conditions: [], lengthRange: undefined }
  for (const c of conditions as unknown[]) {
    if (Array.isArray(c)) {
      const [op, a, b] = c as unknown[]
      const name = typeof op === 'string' ? op.toLowerCase() : ''
      if (name === 'content-length-range') {
        const min = Number(a)
        const max = Number(b)
        if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || c.length !== 3) throw malformed()
        policy.lengthRange = { min, max }
      } else if ((name === 'eq' || name === 'starts-with') && typeof a === 'string' && typeof b === 'string' && a.startsWith('$') && c.length === 3) {
        policy.conditions.push({ op: name, field: a.slice(1).toLowerCase(), value: b })
      } else {
        throw malformed()
      }
    } else if (typeof c === 'object' && c !== null) {
      if (Object.keys(c).length === 0) throw malformed()
      for (const [field, value] of Object.entries(c)) {
        if (typeof value !== 'string') throw malformed()
        policy.conditions.push({ op: 'eq', field: field.toLowerCase(), value })
      }
    } else {
      throw malformed()
    }
  }
  return policy
}

/**
 * checkPostPolicy checks the policy against the form (`bucket` is a field for the conditions). Throws
 * S3Error AccessDenied "Invalid according to Policy: …" with MinIO's reasons.
 */
export function checkPostPolicy(policy: PostPolicy, fields: Map<string, string>, now = Date.now()): void {
  if (policy.expiration < now) throw policyDenied('Policy expired')
  const named = new Set<string>()
  for (const c of policy.conditions) {
    named.add(c.field)
    const got = fields.get(c.field) ?? ''
    const ok = c.op === 'eq' ? got === c.value : got.startsWith(c.value)
    if (!ok) throw policyDenied(`Policy Condition failed: ["${c.op}", "$${c.field}", "${c.value}"]`)
  }
  // Metadata the signer did not agree to would ride along unsigned: MinIO refuses it.
  for (const name of fields.keys()) {
    if (name.startsWith('x-amz-meta-') && !named.has(name)) throw policyDenied(`Extra input fields: ${name}`)
  }
}
