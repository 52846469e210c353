/**
 * Admin handlers for groups: update-group-members, group, groups, set-group-status.
 *
 * @module
 */
import { iamErr } from '../iam/errors.js'
import { validateEntityName } from '../iam/validate.js'
import type { AdminHandler } from './context.js'
import { goTime } from './respond.js'

/** PUT /update-group-members, plain {"group","members","groupStatus","isRemove"} (MinIO checks admin:AddUserToGroup for both). */
export const updateGroupMembers: AdminHandler = (r) => {
  const body = r.plainJson() as { group?: unknown; members?: unknown; groupStatus?: unknown; isRemove?: unknown }
  if (typeof body !== 'object' || body === null) throw iamErr('XMinioAdminInvalidArgument')
  const isRemove = body.isRemove === true
  validateEntityName(body.group, 'group')
  const members = body.members ?? []
  if (!Array.isArray(members) || members.some((m) => typeof m !== 'string')) {
    throw iamErr('XMinioAdminInvalidArgument', 'members must be an array of user names.')
  }
  // Root's powers come from being root, not from a group; MinIO refuses it as a member.
  if (members.includes(r.iam.rootUser)) throw iamErr('XMinioIAMActionNotAllowed')
  if (isRemove) r.iam.users.removeMembers(body.group, members as string[])
  else {
    const status = body.groupStatus === 'disabled' ? 'disabled' : 'enabled'
    r.iam.users.addMembers(body.group, members as string[], status)
  }
  return Promise.resolve({ status: 200 })
}

/** GET /group?group=G → GroupDesc. */
export const groupInfo: AdminHandler = (r) => {
  const g = r.iam.users.getGroup(r.query('group'))
  if (!g) throw iamErr('XMinioAdminNoSuchGroup')
  return Promise.resolve({
    status: 200,
    json: { name: g.name, status: g.status, members: g.members, policy: r.iam.policies.mappedPolicies(g.name, true).join(','), updatedAt: goTime(g.updatedAt) },
  })
}

/** GET /groups → ["g1", …]. */
export const listGroups: AdminHandler = (r) => {
  return Promise.resolve({ status: 200, json: r.iam.users.listGroups() })
}

/** PUT /set-group-status?group=G&status=enabled|disabled. */
export const setGroupStatus: AdminHandler = (r) => {
  const status = r.query('status')
  if (status !== 'enabled' && status !== 'disabled') throw iamErr('XMinioAdminInvalidArgument', `Invalid group status '${status}'.`)
  r.iam.users.setGroupStatus(r.query('group'), status)
  return Promise.resolve({ status: 200 })
}
