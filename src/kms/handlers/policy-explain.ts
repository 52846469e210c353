/**
 * Policy explain (Keyhold extension, docs/operations.md "Policy explain"): how the server would
 * decide a request of IDENTITY with METHOD on PATH, and why: the route, its auth mode, the
 * identity's policy and the allow and deny patterns that match. The decision comes from the code
 * the server runs on every request (dispatch.ts `lookupRoute`, authorize.ts `decide`).
 *
 * Attacker's view: the route itself is policy-checked on `/v1/policy/explain/<identity>`, and
 * explain never tells a caller more than it could read already: a caller other than the admin
 * must also be allowed `/v1/identity/describe/<identity>` and, when the identity has a policy,
 * `/v1/policy/read/<policy>`; otherwise it gets the uniform 403.
 *
 * @module
 */
import { z } from 'zod'
import { errInvalidBody, errInvalidIdentity, errNotAllowed } from '../api/errors.js'
import { cleanPath, lookupRoute, makeRouteTable } from '../api/dispatch.js'
import * as P from '../api/paths.js'
import type { ApiHandler } from '../api/route.js'
import type { Route } from '../api/route.js'
import { replyJson } from '../api/reply.js'
import { isValidName } from '../api/validate.js'
import { decide } from '../auth/authorize.js'
import type { ServerContext, ServerState } from '../state.js'
import { parseBody } from './body.js'

/** Longest path explain accepts: far above any KES path (names are at most 80 characters). */
const MAX_PATH = 1024

const ExplainBody = z.strictObject({
  method: z.enum(['GET', 'PUT', 'POST', 'DELETE', 'HEAD']),
  path: z.string().min(1).max(MAX_PATH).startsWith('/'),
})

/** The explain answer. `allowed`: the request reaches its handler; else `status` is what the server answers. */
export interface Explanation {
  identity: string
  method: string
  path: string
  route?: string
  auth?: Route['auth']
  decision: 'admin' | 'allow' | 'deny' | 'none'
  allowed: boolean
  status?: number
  policy?: string
  allow?: string[]
  deny?: string[]
  reason: string
}

/**
 * explainRequest explains how `state` decides a request of `identity` with `method` on the
 * decoded, unencoded `path`. Throws nothing.
 */
function explainRequest(state: ServerState, identity: string, method: string, path: string): Explanation {
  const base = { identity, method, path }
  const deny = (status: number, reason: string): Explanation => ({ ...base, decision: 'none', allowed: false, status, reason })
  if (cleanPath(path) !== path) return deny(301, `the path is not clean: the server redirects to '${cleanPath(path)}'`)
  const found = lookupRoute(makeRouteTable(state.routes.map((r) => [r.path, r] as const)), path)
  if (found === undefined) return deny(404, 'no route has this path (404 page not found)')
  if ('redirectSlash' in found) return deny(301, `the server redirects to '${path}/'`)
  const route = found.found
  const at = { ...base, route: route.path, auth: route.auth }
  if (method !== route.method && !(route.method === 'PUT' && method === 'POST')) {
    return { ...at, decision: 'none', allowed: false, status: 405, reason: `the route takes ${route.method}` }
  }
  if (route.auth === 'none') return { ...at, decision: 'none', allowed: true, reason: 'the route needs no identity' }
  if (route.auth === 'skip') return { ...at, decision: 'none', allowed: true, reason: 'the route skips authentication (api skip_auth)' }
  if (route.auth === 'identify') return { ...at, decision: 'none', allowed: true, reason: 'the route needs only a client certificate' }
  const verdict = decide(state, identity, path)
  if (verdict.decision === 'admin') return { ...at, decision: 'admin', allowed: true, reason: 'the identity is the admin' }
  const policy = verdict.policy
  if (policy === undefined) return { ...at, decision: 'deny', allowed: false, status: 403, reason: 'the identity has no policy' }
  const matched = policy.matching(path)
  const common = { ...at, decision: verdict.decision, policy: policy.name, allow: matched.allow, deny: matched.deny }
  if (verdict.decision === 'allow') return { ...common, allowed: true, reason: `policy '${policy.name}' allows the path` }
  const why = matched.deny.length > 0 ? 'a deny pattern matches' : 'no allow pattern matches'
  return { ...common, allowed: false, status: 403, reason: `policy '${policy.name}' denies the path: ${why}` }
}

/** policyExplainHandler returns the `/v1/policy/explain/<identity>` handler bound to `ctx`. */
export function policyExplainHandler(ctx: ServerContext): ApiHandler {
  return async (req, res) => {
    const identity = req.resource
    if (!isValidName(identity)) throw errInvalidIdentity(identity)
    const body = await parseBody(req, ExplainBody, errInvalidBody)
    const state = ctx.state.get()
    // No more than the caller could read: the identity's policy name and that policy's patterns.
    const mayRead = (path: string) => decide(state, req.identity, path).decision !== 'deny'
    const policy = state.policies.policyOf(identity)
    if (!mayRead(P.PATH_IDENTITY_DESCRIBE + identity) || (policy !== undefined && !mayRead(P.PATH_POLICY_READ + policy.name))) {
      throw errNotAllowed()
    }
    replyJson(res, explainRequest(state, identity, body.method, body.path))
  }
}
