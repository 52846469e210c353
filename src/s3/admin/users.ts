/**
 * Admin handlers for users: add-user, set-user-status, remove-user, list-users, user-info.
 *
 * @module
 */
import { iamErr } from '../iam/errors.js'
import type { Iam } from '../iam/iam.js'
import type { Status } from '../iam/store-types.js'
import type { AdminHandler } from './context.js'
import { goTime } from './respond.js'

/** userInfoJson builds madmin's UserInfo for a user. Throws IamError XMinioAdminNoSuchUser. */
export function userInfoJson(iam: Iam, accessKey: string): Record<string, unknown> {
  const u = iam.requireUser(accessKey)
  const policies = iam.policies.mappedPolicies(accessKey, false)
  const memberOf = iam.users.groupsOf(accessKey).map((g) => g.name)
  return {
    ...(policies.length ? { policyName: policies.join(',') } : {}),
    status: u.status,
    ...(memberOf.length ? { memberOf } : {}),
    updatedAt: goTime(u.updatedAt),
  }
}

const statusOf = (s: unknown): Status => {
  if (s === undefined || s === '' || s === 'enabled') return 'enabled'
  if (s === 'disabled') return 'disabled'
  throw iamErr('XMinioAdminInvalidArgument', `Invalid user status '${String(s)}'.`)
}

/**
 * PUT /add-user?accessKey=U, ENC {"secretKey","status","policy"?}. On the self-service path (a user
 * on itself, see router) only the secret changes: MinIO ignores `policy` and we keep the status too,
 * so a user can neither grant itself a policy nor re-enable or disable itself. A `policy` from an
 * admin replaces the user's mapping and therefore also needs admin:AttachUserOrGroupPolicy.
 */
export const addUser: AdminHandler = async (r) => {
  const accessKey = r.query('accessKey')
  const principal = r.credential.principal
  if (principal.kind === 'service-account' && accessKey === principal.parentUser) {
    throw iamErr('XMinioInvalidIAMCredentials') // MinIO refuses a parent's password change from its service account
  }
  const body = await r.decryptJson() as { secretKey?: unknown; status?: unknown; policy?: unknown }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw iamErr('XMinioAdminInvalidArgument')
  if (r.grant === 'self') {
    await r.iam.changeSecret(accessKey, body.secretKey)
    return { status: 200 }
  }
  const policy = typeof body.policy === 'string' && body.policy !== '' ? body.policy : undefined
  if (policy !== undefined) r.authorize('admin:AttachUserOrGroupPolicy')
  await r.iam.addUser(accessKey, body.secretKey, statusOf(body.status), policy)
  return { status: 200 }
}

/** PUT /set-user-status?accessKey=U&status=enabled|disabled (never one's own: MinIO's XMinioAdminInvalidArgument). */
export const setUserStatus: AdminHandler = (r) => {
  const accessKey = r.query('accessKey')
  const status = r.query('status')
  if (accessKey === r.credential.accessKey) throw iamErr('XMinioAdminInvalidArgument')
  if (status !== 'enabled' && status !== 'disabled') throw iamErr('XMinioAdminInvalidArgument', `Invalid user status '${status}'.`)
  r.iam.users.setUserStatus(accessKey, status)
  return Promise.resolve({ status: 200 })
}

/** DELETE /remove-user?accessKey=U (also removes its service accounts; never oneself, root or a service account). */
export const removeUser: AdminHandler = (r) => {
  const accessKey = r.query('accessKey')
  if (accessKey === r.credential.accessKey || accessKey === r.iam.rootUser || r.iam.serviceAccounts.get(accessKey)) {
    throw iamErr('XMinioIAMActionNotAllowed')
  }
  r.iam.users.removeUser(accessKey)
  return Promise.resolve({ status: 200 })
}

/** GET /list-users → ENC {accessKey: UserInfo}. */
export const listUsers: AdminHandler = (r) => {
  const out: Record<string, unknown> = {}
  for (const u of r.iam.users.listUsers()) out[u.accessKey] = userInfoJson(r.iam, u.accessKey)
  return Promise.resolve({ status: 200, json: out, encrypt: true })
}

/** GET /user-info?accessKey=U → plain UserInfo (a user may read its own unless a policy denies it). */
export const userInfo: AdminHandler = (r) => {
  const accessKey = r.query('accessKey')
  if (r.iam.serviceAccounts.get(accessKey)) throw iamErr('XMinioIAMActionNotAllowed')
  return Promise.resolve({ status: 200, json: userInfoJson(r.iam, accessKey) })
}
