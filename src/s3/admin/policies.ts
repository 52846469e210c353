/**
 * Admin handlers for policies: add/info/list/remove-canned-policy, set-user-or-group-policy,
 * idp/builtin/policy/attach|detach and policy-entities.
 *
 * @module
 */
import { iamErr } from '../iam/errors.js'
import { MAX_POLICY_SIZE } from '../iam/policy/index.js'
import { splitNames } from '../iam/policy-store.js'
import type { AdminHandler } from './context.js'
import { goTime, isLegacyMadmin } from './respond.js'

/** PUT /add-canned-policy?name=N with the plain policy JSON. */
export const addCannedPolicy: AdminHandler = (r) => {
  if (r.body.length > MAX_POLICY_SIZE) throw iamErr('PolicyTooLarge')
  r.iam.addPolicy(r.query('name'), r.body)
  return Promise.resolve({ status: 200 })
}

/** GET /info-canned-policy?name=N[&v=2] → the document (or PolicyInfo with v=2), 1-space indented. */
export const infoCannedPolicy: AdminHandler = (r) => {
  const rec = r.iam.policies.getPolicy(r.query('name'))
  if (!rec) throw iamErr('XMinioAdminNoSuchPolicy')
  const doc = JSON.parse(rec.document) as unknown
  const json = r.query('v') === '2'
    ? { PolicyName: rec.name, Policy: doc, CreateDate: goTime(rec.createdAt), UpdateDate: goTime(rec.updatedAt) }
    : doc
  return Promise.resolve({ status: 200, json, indent: true })
}

/** GET /list-canned-policies → {name: document}. */
export const listCannedPolicies: AdminHandler = (r) => {
  const out: Record<string, unknown> = {}
  for (const p of r.iam.policies.listPolicies()) out[p.name] = JSON.parse(p.document)
  return Promise.resolve({ status: 200, json: out })
}

/** DELETE /remove-canned-policy?name=N. */
export const removeCannedPolicy: AdminHandler = (r) => {
  r.iam.policies.deletePolicy(r.query('name'))
  return Promise.resolve({ status: 200 })
}

/** PUT /set-user-or-group-policy?policyName=p1,p2&userOrGroup=U&isGroup=false (replaces the mapping). */
export const setUserOrGroupPolicy: AdminHandler = (r) => {
  // Root's powers come from being root; MinIO refuses a policy mapping for it.
  if (r.query('isGroup') !== 'true' && r.query('userOrGroup') === r.iam.rootUser) throw iamErr('XMinioIAMActionNotAllowed')
  r.iam.setPolicyMapping(splitNames(r.query('policyName')), r.query('userOrGroup'), r.query('isGroup') === 'true')
  return Promise.resolve({ status: 200 })
}

const association = (attach: boolean): AdminHandler => async (r) => {
  const body = await r.decryptJson() as { policies?: unknown; user?: unknown; group?: unknown }
  const policies = body?.policies
  if (!Array.isArray(policies) || policies.length === 0 || policies.some((p) => typeof p !== 'string' || p === '')) {
    throw iamErr('XMinioAdminInvalidArgument', 'no policy names were given')
  }
  const user = typeof body.user === 'string' ? body.user : ''
  const group = typeof body.group === 'string' ? body.group : ''
  if ((user === '') === (group === '')) throw iamErr('XMinioAdminInvalidArgument', 'either a group or a user association must be given, not both')
  const names = (policies as string[]).flatMap(splitNames)
  const changed = attach ? r.iam.attach(names, user || group, group !== '') : r.iam.detach(names, user || group, group !== '')
  // madmin-go before v3 talks to servers that answered 201/204 without a body.
  if (isLegacyMadmin(r.req)) return { status: attach ? 201 : 204 }
  const updatedAt = goTime(r.iam.policies.mappingUpdatedAt(user || group, group !== '') ?? new Date())
  return { status: 200, json: attach ? { policiesAttached: changed, updatedAt } : { policiesDetached: changed, updatedAt }, encrypt: true }
}

/** POST /idp/builtin/policy/attach, ENC {"policies","user"|"group"} → ENC {"policiesAttached","updatedAt"}. */
export const attachPolicy = association(true)
/** POST /idp/builtin/policy/detach, ENC {"policies","user"|"group"} → ENC {"policiesDetached","updatedAt"}. */
export const detachPolicy = association(false)

/** GET /idp/builtin/policy-entities?user=&group=&policy= → ENC PolicyEntitiesResult. */
export const policyEntities: AdminHandler = (r) => {
  const all = (name: string): string[] => {
    const v = r.req.query[name]
    return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string' && x !== '')
  }
  const users = all('user')
  const groups = all('group')
  const policies = all('policy')
  const mappings = r.iam.policies.listMappings()
  const json: Record<string, unknown> = { timestamp: goTime(new Date()) }
  if (users.length) json.userMappings = users.map((u) => ({ user: u, policies: r.iam.policies.mappedPolicies(u, false) }))
  if (groups.length) json.groupMappings = groups.map((g) => ({ group: g, policies: r.iam.policies.mappedPolicies(g, true) }))
  const wanted = policies.length || users.length || groups.length ? policies : [...new Set(mappings.flatMap((m) => m.policies))].sort()
  if (wanted.length) {
    json.policyMappings = wanted.map((p) => ({
      policy: p,
      users: mappings.filter((m) => !m.isGroup && m.policies.includes(p)).map((m) => m.entity),
      groups: mappings.filter((m) => m.isGroup && m.policies.includes(p)).map((m) => m.entity),
    }))
  }
  return Promise.resolve({ status: 200, json, encrypt: true })
}
