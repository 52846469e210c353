/**
 * Parses IAM and bucket policy documents into {@link Policy}, failing with a MalformedPolicyError
 * that says exactly what is wrong. Field names are matched case-insensitively, as Go's JSON
 * decoder does for MinIO.
 *
 * @module
 */
import { isKnownAction, isResourceless } from './actions.js'
import { parseConditions } from './parse-condition.js'
import { MalformedPolicyError } from './errors.js'
import type { Effect, Policy, Statement } from './types.js'

/** S3_ARN_PREFIX prefixes every S3 resource in a policy document. */
export const S3_ARN_PREFIX = 'arn:aws:s3:::'
/** KMS_ARN_PREFIX prefixes KMS key resources. */
export const KMS_ARN_PREFIX = 'arn:minio:kms:::'
/** MAX_POLICY_SIZE is MinIO's limit for bucket and canned policy documents (20 KiB). */
export const MAX_POLICY_SIZE = 20 * 1024

/** Options of {@link parsePolicy}. */
export interface ParseOptions {
  /** Parse as the bucket policy of this bucket: Principal is required and resources must be inside it. */
  readonly bucket?: string
  /**
   * Refuse condition keys MinIO does not know (`condition-keys.ts`): set for documents being stored.
   * Documents stored by an older version, which did not check, still load.
   */
  readonly knownConditionKeysOnly?: boolean
}

type Json = Record<string, unknown>

/** parsePolicy parses a policy document. Throws MalformedPolicyError with a precise message. */
export function parsePolicy(text: string | Buffer, options: ParseOptions = {}): Policy {
  let doc: unknown
  try {
    doc = JSON.parse(typeof text === 'string' ? text : text.toString('utf8'))
  } catch (err) {
    throw new MalformedPolicyError(`policy is not valid JSON: ${(err as Error).message}`)
  }
  return policyFromJson(doc, options)
}

/** policyFromJson validates an already decoded document. Throws MalformedPolicyError. */
export function policyFromJson(doc: unknown, options: ParseOptions = {}): Policy {
  const top = fields(doc, 'policy', ['Version', 'Id', 'Statement'])
  const version = top.Version ?? ''
  if (typeof version !== 'string' || (version !== '' && version !== '2012-10-17')) {
    throw new MalformedPolicyError(`invalid version '${String(version)}'`)
  }
  const id = top.Id
  if (id !== undefined && typeof id !== 'string') throw new MalformedPolicyError('Id must be a string')
  let raw = top.Statement ?? []
  if (raw === null) raw = []
  if (!Array.isArray(raw)) raw = [raw]
  const statements = (raw as unknown[]).map((s, i) => parseStatement(s, i, options))
  const sids = new Set<string>()
  for (const s of statements) {
    if (s.sid === undefined || s.sid === '') continue
    if (sids.has(s.sid)) throw new MalformedPolicyError(`duplicate Sid '${s.sid}'`)
    sids.add(s.sid)
  }
  if (options.bucket !== undefined && statements.length === 0) {
    throw new MalformedPolicyError('policy must contain at least one statement')
  }
  return { version, ...(id !== undefined ? { id } : {}), statements }
}

function parseStatement(doc: unknown, index: number, options: ParseOptions): Statement {
  const where = `Statement[${index}]`
  const f = fields(doc, where, ['Sid', 'Effect', 'Principal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition'])
  if (f.Sid !== undefined && typeof f.Sid !== 'string') throw new MalformedPolicyError(`${where}: Sid must be a string`)
  const effect = f.Effect
  if (effect !== 'Allow' && effect !== 'Deny') {
    throw new MalformedPolicyError(`${where}: invalid Effect '${effect === undefined ? '' : String(effect)}'`)
  }
  const actions = stringSet(f.Action, `${where}.Action`)
  const notActions = stringSet(f.NotAction, `${where}.NotAction`)
  if (actions.length > 0 && notActions.length > 0) {
    throw new MalformedPolicyError(`${where}: Action and NotAction cannot both be present`)
  }
  if (actions.length === 0 && notActions.length === 0) throw new MalformedPolicyError(`${where}: Action must not be empty`)
  for (const a of [...actions, ...notActions]) {
    if (!isKnownAction(a)) throw new MalformedPolicyError(`${where}: unsupported action '${a}'`)
  }
  const resources = stringSet(f.Resource, `${where}.Resource`).map((r) => resourcePattern(r, where))
  const notResources = stringSet(f.NotResource, `${where}.NotResource`).map((r) => resourcePattern(r, where))
  if (resources.length > 0 && notResources.length > 0) {
    throw new MalformedPolicyError(`${where}: Resource and NotResource cannot both be present`)
  }
  const needsResource = notActions.length > 0 || actions.some((a) => !isResourceless(a))
  if (needsResource && resources.length === 0 && notResources.length === 0) {
    throw new MalformedPolicyError(`${where}: Resource must not be empty`)
  }
  let principals: string[] | undefined
  if (options.bucket !== undefined) {
    principals = parsePrincipal(f.Principal, where)
    for (const r of [...resources, ...notResources]) {
      const bucket = r.split('/')[0] ?? ''
      if (bucket !== options.bucket && !bucket.includes('*') && !bucket.includes('?')) {
        throw new MalformedPolicyError(`${where}: resource '${S3_ARN_PREFIX}${r}' does not belong to bucket '${options.bucket}'`)
      }
    }
  }
  return {
    ...(typeof f.Sid === 'string' ? { sid: f.Sid } : {}),
    effect: effect as Effect,
    ...(principals ? { principals } : {}),
    actions,
    notActions,
    resources,
    notResources,
    conditions: parseConditions(f.Condition, where, options.knownConditionKeysOnly === true),
  }
}

function parsePrincipal(value: unknown, where: string): string[] {
  if (value === undefined || value === null) throw new MalformedPolicyError(`${where}: Principal must not be empty`)
  if (value === '*') return ['*']
  if (typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Json)
    if (entries.length === 1 && entries[0]?.[0].toLowerCase() === 'aws') {
      const list = stringSet(entries[0][1], `${where}.Principal.AWS`)
      if (list.length > 0) return list
    }
  }
  throw new MalformedPolicyError(`${where}: invalid Principal ${JSON.stringify(value)}`)
}

function resourcePattern(arn: string, where: string): string {
  if (arn.startsWith(S3_ARN_PREFIX) && arn.length > S3_ARN_PREFIX.length) return arn.slice(S3_ARN_PREFIX.length)
  if (arn.startsWith(KMS_ARN_PREFIX) && arn.length > KMS_ARN_PREFIX.length) return arn
  throw new MalformedPolicyError(`${where}: invalid resource '${arn}'`)
}

/** A Go "set" field: a string or an array of strings. */
function stringSet(value: unknown, where: string): string[] {
  if (value === undefined || value === null) return []
  const list = Array.isArray(value) ? value : [value]
  const out: string[] = []
  for (const v of list) {
    if (typeof v !== 'string') throw new MalformedPolicyError(`${where} must be a string or an array of strings`)
    if (!out.includes(v)) out.push(v)
  }
  return out
}

/** Returns the object's fields under their canonical names; rejects unknown or duplicate ones. */
function fields(doc: unknown, where: string, known: readonly string[]): Partial<Record<string, unknown>> {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new MalformedPolicyError(`${where} must be a JSON object`)
  }
  const out: Partial<Record<string, unknown>> = {}
  for (const [k, v] of Object.entries(doc as Json)) {
    const name = known.find((n) => n.toLowerCase() === k.toLowerCase())
    if (name === undefined) throw new MalformedPolicyError(`${where}: unknown field '${k}'`)
    if (name in out) throw new MalformedPolicyError(`${where}: duplicate field '${k}'`)
    out[name] = v
  }
  return out
}
