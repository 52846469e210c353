/**
 * Authentication and authorisation of one request (KES `verifyIdentity`): identity from the TLS
 * connection, then admin bypass, then the identity's policy (deny → allow → refuse). Every
 * outcome is left on `res.locals` for the audit log; the client only ever sees the uniform 403.
 *
 * @module
 */
import { errNotAllowed, errTlsRequired } from '../api/errors.js'
import type { KesRequest, KesResponse } from '../api/http-types.js'
import type { Authenticate, Route } from '../api/route.js'
import type { RequestAuditInfo } from '../observability/observe.js'
import type { Policy, PolicySet } from '../policy/policy.js'
import type { Logger } from '../observability/logger.js'
import { identifySocket } from './identity.js'
import { tlsSocketOf } from '../api/connection.js'

/** The parts of the server state authorisation reads, taken fresh for every request. */
export interface AuthState {
  admin: string
  policies: PolicySet
}

/** The outcome of the policy step for one identity and path: who decided, and by which policy. */
export interface Verdict {
  decision: 'admin' | 'allow' | 'deny'
  /** The identity's policy; absent for the admin and for an identity without a policy. */
  policy?: Policy
}

/**
 * decide is the policy step of every `auth: 'policy'` route (KES `verifyIdentity`): the admin is
 * allowed, an identity without a policy is denied, otherwise its policy decides (deny → allow →
 * refuse). Policy explain calls this same function. Throws nothing.
 */
export function decide(state: AuthState, identity: string, path: string): Verdict {
  if (identity === state.admin) return { decision: 'admin' }
  const policy = state.policies.policyOf(identity)
  if (policy === undefined) return { decision: 'deny' }
  return { decision: policy.verify(path) ? 'allow' : 'deny', policy }
}

/**
 * authenticator returns the {@link Authenticate} step. The returned function throws the ApiError
 * a client gets: 400 without TLS or client certificate, 403 `not authorized: insufficient
 * permissions` for unknown identities and policy denials.
 */
export function authenticator(state: () => AuthState, log: Logger): Authenticate {
  return (req: KesRequest, res: KesResponse, route: Route): string => {
    const info = res.locals as unknown as RequestAuditInfo & { kesPath: string }
    info.decision = 'none'
    if (route.auth === 'none') return ''
    // The connection's TLSSocket, not `req.socket` (a per-request proxy on HTTP/2).
    const socket = tlsSocketOf(req)
    if (socket === undefined) throw errTlsRequired()
    const result = identifySocket(socket)
    if (result.error !== undefined) {
      if (route.auth === 'skip') return ''
      throw result.error
    }
    const identity = result.identity
    info.identity = identity
    if (route.auth === 'identify' || route.auth === 'skip') return identity

    const verdict = decide(state(), identity, info.kesPath)
    info.decision = verdict.decision
    if (verdict.policy !== undefined) info.policy = verdict.policy.name
    if (verdict.decision === 'deny') {
      if (verdict.policy === undefined) log.debug({ identity, path: info.kesPath }, 'access denied: identity has no policy')
      else log.debug({ identity, path: info.kesPath, policy: verdict.policy.name }, 'access denied by policy')
      throw errNotAllowed()
    }
    return identity
  }
}
