/**
 * Admin handlers for service accounts: add, update, info, list, delete. Who may call which is
 * decided by the route table (router.ts): an owner manages its own accounts as MinIO allows,
 * everything else needs the admin action.
 *
 * @module
 */
import { iamErr } from '../iam/errors.js'
import { addServiceAccount as add, requireServiceAccount, updateServiceAccount as update } from '../iam/service-accounts.js'
import type { ServiceAccountRecord } from '../iam/store-types.js'
import { serviceAccountTarget } from './authz.js'
import type { AdminHandler, AdminRequest } from './context.js'
import { goTime, isLegacyMadmin } from './respond.js'

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)

/** PUT /add-service-account, ENC AddServiceAccountReq → ENC {"credentials":{…}}. */
export const addServiceAccount: AdminHandler = async (r) => {
  const body = await r.decryptJson() as Record<string, unknown>
  // A service account asking for itself creates a sibling: the parent owns it (MinIO).
  let target = await serviceAccountTarget(r)
  if (target === r.credential.accessKey && r.credential.principal.kind === 'service-account') target = r.actingUser
  const { record, secretKey } = await add(r.iam, {
    parent: target, accessKey: str(body.accessKey), secretKey: str(body.secretKey), policy: body.policy,
    name: str(body.name), description: str(body.description) ?? str(body.comment), expiration: str(body.expiration),
  })
  const expiration = record.expiration ? goTime(record.expiration) : '1970-01-01T00:00:00Z'
  return { status: 200, json: { credentials: { accessKey: record.accessKey, secretKey, expiration } }, encrypt: true }
}

/** POST /update-service-account?accessKey=K, ENC UpdateServiceAccountReq → 204. */
export const updateServiceAccount: AdminHandler = async (r) => {
  const sa = requireServiceAccount(r.iam, r.query('accessKey'))
  const body = await r.decryptJson() as Record<string, unknown>
  if (typeof body !== 'object' || body === null) throw iamErr('XMinioAdminInvalidArgument')
  await update(r.iam, sa.accessKey, {
    newPolicy: body.newPolicy, newSecretKey: str(body.newSecretKey), newStatus: str(body.newStatus), newName: str(body.newName),
    newDescription: str(body.newDescription) ?? str(body.newComment), newExpiration: str(body.newExpiration),
  })
  return { status: 204 }
}

/** The policy a service account effectively carries, as MinIO reports it. */
function impliedPolicy(r: AdminRequest, sa: ServiceAccountRecord): string {
  if (sa.sessionPolicy !== null) return sa.sessionPolicy
  if (sa.parent === r.iam.rootUser) return JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['admin:*', 's3:*', 'kms:*'], Resource: ['arn:aws:s3:::*'] }] })
  const statements = r.iam.effectivePolicies(sa.parent).names
    .flatMap((n) => (JSON.parse(r.iam.policies.getPolicy(n)?.document ?? '{"Statement":[]}') as { Statement: unknown[] }).Statement)
  return JSON.stringify({ Version: '2012-10-17', Statement: statements })
}

/** GET /info-service-account?accessKey=K → ENC InfoServiceAccountResp. */
export const infoServiceAccount: AdminHandler = (r) => {
  const sa = requireServiceAccount(r.iam, r.query('accessKey'))
  const json = {
    parentUser: sa.parent, accountStatus: sa.status, impliedPolicy: sa.sessionPolicy === null, policy: impliedPolicy(r, sa),
    name: sa.name, description: sa.description, comment: sa.description,
    ...(sa.expiration ? { expiration: goTime(sa.expiration) } : {}),
  }
  return Promise.resolve({ status: 200, json, encrypt: true })
}

/** GET /list-service-accounts?user=U → ENC {"accounts":[…]} (access keys only for madmin-go < v3). */
export const listServiceAccounts: AdminHandler = (r) => {
  // Own accounts (user omitted or the caller's key): a service account lists its parent's.
  const user = r.grant === 'self' || r.query('user') === '' || r.query('user') === r.credential.accessKey ? r.actingUser : r.query('user')
  if (user !== r.iam.rootUser) r.iam.requireUser(user)
  const live = r.iam.serviceAccounts.list(user).filter((sa) => !sa.expiration || sa.expiration.getTime() > Date.now())
  const accounts = isLegacyMadmin(r.req)
    ? live.map((sa) => sa.accessKey)
    : live.map((sa) => ({
      parentUser: sa.parent, accountStatus: sa.status, impliedPolicy: sa.sessionPolicy === null, accessKey: sa.accessKey,
      name: sa.name, description: sa.description, ...(sa.expiration ? { expiration: goTime(sa.expiration) } : {}),
    }))
  return Promise.resolve({ status: 200, json: { accounts }, encrypt: true })
}

/** DELETE /delete-service-account?accessKey=K → 204. */
export const deleteServiceAccount: AdminHandler = (r) => {
  const sa = requireServiceAccount(r.iam, r.query('accessKey'))
  r.iam.serviceAccounts.delete(sa.accessKey)
  return Promise.resolve({ status: 204 })
}
