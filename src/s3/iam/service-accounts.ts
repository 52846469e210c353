/**
 * Service accounts: creation with generated or chosen keys, session policies (intersected with the
 * parent's at evaluation), name, description and expiry; edits, status and deletion.
 *
 * @module
 */
import { iamErr } from './errors.js'
import type { Iam } from './iam.js'
import { MalformedPolicyError, policyFromJson, policyToString, type Policy } from './policy/index.js'
import { generateAccessKey, generateSecretKey } from './secrets.js'
import type { ServiceAccountRecord } from './store-types.js'
import { parseExpiration, validateAccessKey, validateDescription, validateName, validateSecretKey } from './validate.js'

/** MAX_SESSION_POLICY_SIZE is MinIO's limit for a service account's session policy (4096 bytes of JSON). */
const MAX_SESSION_POLICY_SIZE = 4096

/** What add-service-account asks for (madmin AddServiceAccountReq). */
export interface NewServiceAccount {
  parent: string
  accessKey?: string
  secretKey?: string
  /** The session policy as decoded JSON; null/undefined/{}/{"Statement":null} mean "inherit". */
  policy?: unknown
  name?: string
  description?: string
  expiration?: string
}

/** What update-service-account asks for (madmin UpdateServiceAccountReq). */
export interface ServiceAccountEdit {
  newPolicy?: unknown
  newSecretKey?: string
  newStatus?: string
  newName?: string
  newDescription?: string
  newExpiration?: string
}

/**
 * sessionPolicyOf validates a session policy and returns its canonical JSON, or null for "inherit".
 * Throws IamError PolicyTooLarge or MalformedPolicy.
 */
function sessionPolicyOf(policy: unknown): string | null {
  if (policy === undefined || policy === null) return null
  if (typeof policy === 'object' && !Array.isArray(policy)) {
    const entries = Object.entries(policy as Record<string, unknown>)
    if (entries.length === 0) return null
    if (entries.length === 1 && entries[0]?.[0].toLowerCase() === 'statement' && entries[0][1] === null) return null
  }
  if (Buffer.byteLength(JSON.stringify(policy)) > MAX_SESSION_POLICY_SIZE) {
    throw iamErr('PolicyTooLarge', 'The session policy exceeds 4096 bytes.')
  }
  let parsed: Policy
  try {
    parsed = policyFromJson(policy, { knownConditionKeysOnly: true })
  } catch (err) {
    if (err instanceof MalformedPolicyError) throw iamErr('MalformedPolicy', err.message)
    throw err
  }
  return parsed.statements.length === 0 ? null : policyToString(parsed)
}

/**
 * addServiceAccount creates a service account and returns its record and secret. Throws IamError
 * for an unknown parent, taken or invalid keys, a bad policy, name, description or expiry.
 */
export async function addServiceAccount(iam: Iam, req: NewServiceAccount): Promise<{ record: ServiceAccountRecord; secretKey: string }> {
  const parentIsRoot = req.parent === iam.rootUser
  if (!parentIsRoot) iam.requireUser(req.parent)
  const accessKey = req.accessKey || generateAccessKey()
  const secretKey = req.secretKey || generateSecretKey()
  validateAccessKey(accessKey)
  validateSecretKey(secretKey)
  if (accessKey === iam.rootUser) throw iamErr('XMinioAdminInvalidArgument', 'The access key is already in use.')
  const name = req.name ?? ''
  const description = req.description ?? ''
  validateName(name)
  validateDescription(description)
  const record: ServiceAccountRecord = {
    accessKey, secret: '', parent: req.parent, status: 'on', sessionPolicy: sessionPolicyOf(req.policy), name, description,
    expiration: parseExpiration(req.expiration), createdAt: new Date(),
  }
  record.secret = await iam.sealSecret(secretKey, accessKey)
  iam.serviceAccounts.add(record, () => parentIsRoot || iam.users.getUser(req.parent) !== undefined)
  return { record, secretKey }
}

/** updateServiceAccount applies an edit. Throws IamError for an unknown account or any invalid field. */
export async function updateServiceAccount(iam: Iam, accessKey: string, edit: ServiceAccountEdit): Promise<void> {
  const current = requireServiceAccount(iam, accessKey)
  const update: Parameters<typeof iam.serviceAccounts.update>[1] = {}
  if (edit.newStatus !== undefined && edit.newStatus !== '') {
    const s = edit.newStatus
    if (s === 'on' || s === 'enabled') update.status = 'on'
    else if (s === 'off' || s === 'disabled') update.status = 'off'
    else throw iamErr('XMinioAdminInvalidArgument', `Invalid service account status '${s}'.`)
  }
  if (edit.newName !== undefined && edit.newName !== '') {
    validateName(edit.newName)
    update.name = edit.newName
  }
  if (edit.newDescription !== undefined && edit.newDescription !== '') {
    validateDescription(edit.newDescription)
    update.description = edit.newDescription
  }
  if (edit.newExpiration !== undefined && edit.newExpiration !== '') update.expiration = parseExpiration(edit.newExpiration)
  if (edit.newPolicy !== undefined) update.sessionPolicy = sessionPolicyOf(edit.newPolicy)
  if (edit.newSecretKey !== undefined && edit.newSecretKey !== '') {
    validateSecretKey(edit.newSecretKey)
    update.secret = await iam.sealSecret(edit.newSecretKey, current.accessKey)
  }
  iam.serviceAccounts.update(accessKey, update)
}

/** isExpired reports whether a service account has expired. Never throws. */
export function isExpired(sa: ServiceAccountRecord, now = Date.now()): boolean {
  return sa.expiration !== null && sa.expiration.getTime() <= now
}

/** requireServiceAccount returns a live (unexpired) account. Throws IamError XMinioAdminNoSuchServiceAccount. */
export function requireServiceAccount(iam: Iam, accessKey: string): ServiceAccountRecord {
  const sa = iam.serviceAccounts.get(accessKey)
  if (!sa || isExpired(sa)) throw iamErr('XMinioAdminNoSuchServiceAccount')
  return sa
}
