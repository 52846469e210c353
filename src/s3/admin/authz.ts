/**
 * Authorization of admin calls: every route names the `admin:*` actions that allow it (any one
 * suffices, as MinIO's validateAdminReq), and at most one self-service exception for calls on the
 * caller's own account. Everything else is denied.
 *
 * The exceptions are MinIO's (cmd/admin-handlers-users.go), no wider:
 * - `deny-only`: the call is allowed unless the caller's policies deny it (MinIO's DenyOnly). A user
 *   without any policy is still refused, and a service account's session policy must allow it.
 * - `owner`: owning the target suffices; MinIO checks no policy for these (list, info and delete of
 *   one's own service accounts).
 *
 * @module
 */
import { iamErr, type IamError } from '../iam/errors.js'
import type { AdminRequest, Grant } from './context.js'

/** AdminAction is an action name of MinIO's admin policy namespace. */
export type AdminAction = `admin:${string}`

/** How a self-service call is checked once it applies. */
export type SelfCheck = 'deny-only' | 'owner'

/** SelfService is a route's exception for calls on the caller's own account. */
export interface SelfService {
  /** What counts as "own", for the reader of the route table. */
  readonly scope: string
  readonly check: SelfCheck
  /** applies tells whether this call targets the caller's own account. Throws IamError for a bad body. */
  applies(r: AdminRequest): boolean | Promise<boolean>
}

/** accessDenied is MinIO's answer to a refused admin call (403 AccessDenied "Access Denied."). Throws nothing. */
export const accessDenied = (): IamError => iamErr('AccessDenied')

/** The user a caller acts for: itself, or a service account's parent. */
const actingUser = (r: AdminRequest): string => r.actingUser

/** OWN_USER: the caller is a user and `accessKey` names itself (add-user to change its secret, user-info). */
export const OWN_USER: SelfService = {
  scope: 'a user on its own accessKey',
  check: 'deny-only',
  applies: (r) => r.credential.principal.kind === 'user' && r.query('accessKey') === r.credential.accessKey,
}

/** OWN_SERVICE_ACCOUNT_PARENT: a new service account for the caller, or for a service account's parent. */
export const OWN_SERVICE_ACCOUNT_PARENT: SelfService = {
  scope: 'targetUser omitted, the caller, or the calling service account\'s parent',
  check: 'deny-only',
  applies: async (r) => {
    const target = await serviceAccountTarget(r)
    return target === r.credential.accessKey || target === r.credential.principal.parentUser
  },
}

/** OWN_SERVICE_ACCOUNT: `accessKey` names a service account whose parent is the user the caller acts for. */
export const OWN_SERVICE_ACCOUNT: SelfService = {
  scope: 'a service account of the user the caller acts for',
  check: 'owner',
  applies: (r) => r.iam.serviceAccounts.get(r.query('accessKey'))?.parent === actingUser(r),
}

/** OWN_SERVICE_ACCOUNT_LIST: `user` omitted or the caller's own access key (MinIO lists the parent's then). */
export const OWN_SERVICE_ACCOUNT_LIST: SelfService = {
  scope: 'user omitted or the caller\'s access key',
  check: 'owner',
  applies: (r) => r.query('user') === '' || r.query('user') === r.credential.accessKey,
}

/**
 * serviceAccountTarget returns the user an add-service-account body targets (the caller when
 * omitted). Throws IamError XMinioAdminConfigBadJSON / XMinioAdminInvalidArgument for a bad body.
 */
export async function serviceAccountTarget(r: AdminRequest): Promise<string> {
  const body = await r.decryptJson()
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw iamErr('XMinioAdminInvalidArgument')
  const target = (body as { targetUser?: unknown }).targetUser
  return typeof target === 'string' && target !== '' ? target : r.credential.accessKey
}

/**
 * authorizeCall decides a call: allowed by any of `actions`, else by `self` when it applies and
 * passes its check. Throws `denied()` (default 403 AccessDenied) otherwise, or IamError for a bad body.
 */
export async function authorizeCall(
  r: AdminRequest, actions: readonly AdminAction[], self?: SelfService, denied: () => IamError = accessDenied,
): Promise<Grant> {
  if (actions.some((action) => r.isAllowed(action))) return 'admin'
  if (self && await self.applies(r)) {
    if (self.check === 'owner') return 'self'
    if (actions.some((action) => r.isAllowed(action, true))) return 'self'
  }
  throw denied()
}
