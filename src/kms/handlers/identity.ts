/**
 * Identity handlers: describe, list, self-describe. Self-describe uses the flat v0.22 shape that
 * kes-go and kms-go decode (HEAD's nested shape cannot be decoded by kms-go;
 * docs/kes-compatibility.md, "Response shapes").
 *
 * @module
 */
import { errIdentityNotFound, errInvalidIdentity } from '../api/errors.js'
import type { ApiHandler } from '../api/route.js'
import { replyJson } from '../api/reply.js'
import { isValidName } from '../api/validate.js'
import { isIdentity } from '../../pki/identity.js'
import type { ServerContext } from '../state.js'
import { rfc3339Nano } from './body.js'
import { listPattern, policyRules } from './policy.js'

/** identityHandlers returns the identity handlers bound to `ctx`. */
export function identityHandlers(ctx: ServerContext): Record<'describe' | 'list' | 'selfDescribe', ApiHandler> {
  return {
    async describe(req, res) {
      if (!isValidName(req.resource)) throw errInvalidIdentity(req.resource)
      const state = ctx.state.get()
      const createdAt = rfc3339Nano(state.loadedAt)
      if (req.resource === state.admin) return replyJson(res, { admin: true, created_at: createdAt })
      const policy = state.policies.policyOf(req.resource)
      if (policy === undefined) throw errIdentityNotFound()
      replyJson(res, { policy: policy.name, created_at: createdAt, created_by: state.admin })
    },

    async list(req, res) {
      const prefix = listPattern(req)
      const state = ctx.state.get()
      const all = state.policies.identities()
      // A disabled admin ("disabled", "foobar", …) is not an identity anybody can hold.
      if (isIdentity(state.admin)) all.push(state.admin)
      const identities = [...new Set(all)].filter((id) => id.startsWith(prefix)).sort()
      replyJson(res, { identities, continue_at: '' })
    },

    async selfDescribe(req, res) {
      const state = ctx.state.get()
      const createdAt = rfc3339Nano(state.loadedAt)
      if (req.identity === state.admin) return replyJson(res, { identity: req.identity, admin: true, created_at: createdAt })
      const policy = state.policies.policyOf(req.identity)
      if (policy === undefined) throw errIdentityNotFound()
      replyJson(res, {
        identity: req.identity,
        created_at: createdAt,
        created_by: state.admin,
        policy: policy.name,
        ...policyRules(policy),
      })
    },
  }
}
