/**
 * Policy handlers: describe, read, list. Policies are static (config or policy file), so they
 * were "created" by the admin when the current state was loaded (KES reports it that way).
 *
 * @module
 */
import { errInvalidPattern, errInvalidPolicyName, errPolicyNotFound } from '../api/errors.js'
import type { ApiHandler, ApiRequest } from '../api/route.js'
import { replyJson } from '../api/reply.js'
import { isValidName, isValidPattern, listPrefix } from '../api/validate.js'
import type { Policy } from '../policy/policy.js'
import type { ServerContext } from '../state.js'
import { rfc3339Nano } from './body.js'

/** patternSet renders patterns as KES does: an object whose keys are the patterns. */
function patternSet(patterns: readonly string[]): Record<string, Record<string, never>> {
  return Object.fromEntries(patterns.map((p) => [p, {}]))
}

/** policyRules returns KES's `allow`/`deny` members, each omitted when empty. */
export function policyRules(p: Policy): { allow?: object; deny?: object } {
  return {
    ...(p.allow.length > 0 ? { allow: patternSet(p.allow) } : {}),
    ...(p.deny.length > 0 ? { deny: patternSet(p.deny) } : {}),
  }
}

/** listPattern returns the name prefix of a listing request. Throws 400 for an invalid pattern. */
export function listPattern(req: ApiRequest): string {
  if (!isValidPattern(req.resource)) throw errInvalidPattern(req.resource)
  return listPrefix(req.resource)
}

/** policyHandlers returns the policy handlers bound to `ctx`. */
export function policyHandlers(ctx: ServerContext): Record<'describe' | 'read' | 'list', ApiHandler> {
  const find = (req: ApiRequest) => {
    if (!isValidName(req.resource)) throw errInvalidPolicyName(req.resource)
    const state = ctx.state.get()
    const policy = state.policies.policy(req.resource)
    if (policy === undefined) throw errPolicyNotFound()
    return { policy, state }
  }
  return {
    async describe(req, res) {
      const { policy, state } = find(req)
      replyJson(res, { name: policy.name, created_at: rfc3339Nano(state.loadedAt), created_by: state.admin })
    },
    async read(req, res) {
      const { policy, state } = find(req)
      replyJson(res, { name: policy.name, ...policyRules(policy), created_at: rfc3339Nano(state.loadedAt), created_by: state.admin })
    },
    async list(req, res) {
      const prefix = listPattern(req)
      const names = ctx.state.get().policies.names().filter((n) => n.startsWith(prefix))
      replyJson(res, { names, continue_at: '' })
    },
  }
}
