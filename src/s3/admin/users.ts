/**
 * Admin handlers for users: add-user, set-user-status, remove-user, list-users, user-info.
 *
 * @module
 */
import { iamErr, IamError } from '../iam/errors.js'
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

/** PUT /add-user?accessKey=U, ENC {"secretKey","status","policy"?}. */
export const addUser: AdminHandler = async (r) => {
  const accessKey = r.query('accessKey')
  const self = accessKey === r.credential.accessKey && r.credential.principal.kind === 'user'
  r.authorize('admin:CreateUser', self)
  const body = await r.decryptJson() as { secretKey?: unknown; status?: unknown; policy?: unknown }
  if (typeof body !== 'object' || body === null) throw iamErr('XMinioAdminInvalidArgument')
  if (r.credential.principal.kind === 'service-account' && accessKey === r.actingUser) {
    throw iamErr('XMinioIAMActionNotAllowed', 'A service account cannot change its parent user.')
  }
  const policy = typeof body.policy === 'string' && body.policy !== '' ? body.policy : undefined
  await r.iam.addUser(accessKey, body.secretKey, statusOf(body.status), policy)
  return { status: 200 }
}

/** PUT /set-user-status?accessKey=U&status=enabled|disabled. */
export const setUserStatus: AdminHandler = (r) => {
  const accessKey = r.query('accessKey')
  const status = r.query('status')
  r.authorize(status === 'disabled' ? 'admin:DisableUser' : 'admin:EnableUser')
  if (accessKey === r.credential.accessKey) throw new IamError('InvalidRequest', 400, 'cannot change your own status')
  if (status !== 'enabled' && status !== 'disabled') throw iamErr('XMinioAdminInvalidArgument', `Invalid user status '${status}'.`)
  r.iam.users.setUserStatus(accessKey, status)
  return Promise.resolve({ status: 200 })
}

/** DELETE /remove-user?accessKey=U (also removes its service accounts). */
export const removeUser: AdminHandler = (r) => {
  r.authorize('admin:DeleteUser')
  const accessKey = r.query('accessKey')
  if (accessKey === r.credential.accessKey) throw new IamError('InvalidRequest', 400, 'cannot remove your own account')
  r.iam.users.removeUser(accessKey)
  return Promise.resolve({ status: 200 })
}

/** GET /list-users → ENC {accessKey: UserInfo}. */
export const listUsers: AdminHandler = (r) => {
  r.authorize('admin:ListUsers')
  const out: Record<string, unknown> = {}
  for (const u of r.iam.users.listUsers()) out[u.accessKey] = userInfoJson(r.iam, u.accessKey)
  return Promise.resolve({ status: 200, json: out, encrypt: true })
}

/** GET /user-info?accessKey=U → plain UserInfo (a user may read its own). */
export const userInfo: AdminHandler = (r) => {
  const accessKey = r.query('accessKey')
  r.authorize('admin:GetUser', accessKey === r.actingUser)
  return Promise.resolve({ status: 200, json: userInfoJson(r.iam, accessKey) })
}
