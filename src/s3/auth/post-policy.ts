/**
 * The POST policy of a browser form upload, checked as AWS checks it: not expired, every condition (`eq`,
 * `starts-with`, `content-length-range`, `{field: value}`) holds, and every field the form sends is named by a
 * condition (MinIO asks that of `x-amz-meta-*` only; AWS of all but a few, see {@link checkPostPolicy}).
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
 * Fields a policy need not name (AWS: "except x-amz-signature, file, policy, and field names that have an
 * x-ignore- prefix"; for SigV2 AWSAccessKeyId and signature too): the signature cannot sign itself.
 */
const SIGNATURE_FIELDS: ReadonlySet<string> = new Set(['policy', 'x-amz-signature', 'awsaccesskeyid', 'signature', 'file'])

/**
 * unsignedAllowed tells the fields that may ride along unnamed: the signature's own, `x-ignore-*` (AWS), and the
 * checksums of the file (`x-amz-checksum-*`), which only narrow what is accepted (the file must match them) and
 * which minio-go's PostPolicy.SetChecksum sends without a condition. Throws nothing.
 */
function unsignedAllowed(name: string): boolean {
  return SIGNATURE_FIELDS.has(name) || name.startsWith('x-ignore-') || name.startsWith('x-amz-checksum-')
}

/**
 * checkPostPolicy checks the policy against the form. `values` are what the conditions test (the form's fields,
 * with `bucket` the request's bucket and `key` the key as stored); `sent` are the names of the fields the client
 * sent (lower-cased), each of which a condition must name, as AWS requires, or the signer never agreed to it
 * (a content type, tags, an SSE key, a redirect). Throws S3Error AccessDenied "Invalid according to Policy:
 * Policy expired", "…: Policy Condition failed: […]" or "…: Extra input fields: <name>".
 */
export function checkPostPolicy(policy: PostPolicy, values: ReadonlyMap<string, string>, sent: Iterable<string> = values.keys(), now = Date.now()): void {
  if (policy.expiration < now) throw policyDenied('Policy expired')
  const named = new Set<string>()
  for (const c of policy.conditions) {
    named.add(c.field)
    const got = values.get(c.field) ?? ''
    const ok = c.op === 'eq' ? got === c.value : got.startsWith(c.value)
    if (!ok) throw policyDenied(`Policy Condition failed: ["${c.op}", "$${c.field}", "${c.value}"]`)
  }
  for (const name of sent) {
    if (!named.has(name) && !unsignedAllowed(name)) throw policyDenied(`Extra input fields: ${name}`)
  }
}
