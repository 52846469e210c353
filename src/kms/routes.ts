/**
 * The route table: the map of the API (KES HEAD `initRoutes`, docs/kes-compatibility.md,
 * "Routes", plus the v0.22 bulk decrypt that old MinIO uses). Read it top to bottom; everything else about a route
 * (method check, POST-for-PUT, body limit, deadline, auth) is done by route.ts from these fields.
 * The config's `api:` section may change only `timeout` and `skip_auth` (state.ts).
 *
 * Unknown paths get Go's `404 page not found` (dispatch.ts).
 *
 * @module
 */
import type { ApiHandler, Route } from './api/route.js'
import * as P from './api/paths.js'
import { errNotImplemented } from './api/errors.js'
import type { ServerContext } from './state.js'
import { keyHandlers } from './handlers/key.js'
import { cryptoHandlers } from './handlers/key-crypto.js'
import { policyHandlers } from './handlers/policy.js'
import { identityHandlers } from './handlers/identity.js'
import { systemHandlers } from './handlers/system.js'
import { rotateHandler } from './handlers/key-rotate.js'
import { keyStateHandlers } from './handlers/key-state.js'
import { policyExplainHandler } from './handlers/policy-explain.js'

/** 1 MB: `1 * mem.MB` in KES HEAD is 10^6 bytes, and that is what /v1/api reports. */
const MAX_BODY = 1_000_000

const S = 1000
/** Body limit of the small JSON bodies of Keyhold's own routes (key disable, policy explain). */
const SMALL = 4096

/** Handlers the operations layer plugs in; until then these routes answer 501 `not implemented`. */
export interface ExtraHandlers {
  metrics?: ApiHandler
  logError?: ApiHandler
  logAudit?: ApiHandler
}

const notImplemented: ApiHandler = () => Promise.reject(errNotImplemented())

/** kesRoutes returns the full route table with handlers bound to `ctx`. */
export function kesRoutes(ctx: ServerContext, extra: ExtraHandlers = {}): Route[] {
  const sys = systemHandlers(ctx)
  const key = keyHandlers(ctx)
  const crypto = cryptoHandlers(ctx)
  const policy = policyHandlers(ctx)
  const identity = identityHandlers(ctx)
  const keyState = keyStateHandlers(ctx)
  // prettier-ignore
  return [
    { method: 'GET',    path: P.PATH_VERSION,                maxBody: 0,        timeoutMs: 10 * S, auth: 'none',     metrics: false, handler: sys.version },
    { method: 'GET',    path: P.PATH_READY,                  maxBody: 0,        timeoutMs: 15 * S, auth: 'policy',   metrics: false, handler: sys.ready },
    { method: 'GET',    path: P.PATH_STATUS,                 maxBody: 0,        timeoutMs: 15 * S, auth: 'policy',   metrics: false, handler: sys.status },
    { method: 'GET',    path: P.PATH_METRICS,                maxBody: 0,        timeoutMs: 15 * S, auth: 'policy',   metrics: false, handler: extra.metrics ?? notImplemented },
    { method: 'GET',    path: P.PATH_API,                    maxBody: 0,        timeoutMs: 10 * S, auth: 'policy',   metrics: false, handler: sys.api },

    { method: 'PUT',    path: P.PATH_KEY_CREATE,             maxBody: 0,        timeoutMs: 15 * S, auth: 'policy',   metrics: true,  handler: key.create },
    { method: 'PUT',    path: P.PATH_KEY_IMPORT,             maxBody: MAX_BODY, timeoutMs: 15 * S, auth: 'policy',   metrics: true,  handler: key.import },
    { method: 'GET',    path: P.PATH_KEY_DESCRIBE,           maxBody: 0,        timeoutMs: 15 * S, auth: 'policy',   metrics: true,  handler: key.describe },
    { method: 'GET',    path: P.PATH_KEY_LIST,               maxBody: 0,        timeoutMs: 15 * S, auth: 'policy',   metrics: true,  handler: key.list },
    { method: 'DELETE', path: P.PATH_KEY_DELETE,             maxBody: 0,        timeoutMs: 15 * S, auth: 'policy',   metrics: true,  handler: key.delete },
    { method: 'PUT',    path: P.PATH_KEY_ENCRYPT,            maxBody: MAX_BODY, timeoutMs: 15 * S, auth: 'policy',   metrics: true,  handler: crypto.encrypt },
    { method: 'PUT',    path: P.PATH_KEY_GENERATE,           maxBody: MAX_BODY, timeoutMs: 15 * S, auth: 'policy',   metrics: true,  handler: crypto.generate },
    { method: 'PUT',    path: P.PATH_KEY_DECRYPT,            maxBody: MAX_BODY, timeoutMs: 15 * S, auth: 'policy',   metrics: true,  handler: crypto.decrypt },
    { method: 'PUT',    path: P.PATH_KEY_BULK_DECRYPT,       maxBody: MAX_BODY, timeoutMs: 15 * S, auth: 'policy',   metrics: true,  handler: crypto.bulkDecrypt },
    { method: 'PUT',    path: P.PATH_KEY_HMAC,               maxBody: MAX_BODY, timeoutMs: 15 * S, auth: 'policy',   metrics: true,  handler: crypto.hmac },
    // Keyhold's own: rotation (docs/key-rotation.md). Reads every version first, hence the longer deadline.
    { method: 'PUT',    path: P.PATH_KEY_ROTATE,             maxBody: 0,        timeoutMs: 30 * S, auth: 'policy',   metrics: true,  handler: rotateHandler(ctx) },
    // Keyhold extensions: key states. Each is its own path, so a policy grants them one by one.
    { method: 'GET',    path: P.PATH_KEY_STATE,              maxBody: 0,        timeoutMs: 15 * S, auth: 'policy',   metrics: true,  handler: keyState.state },
    { method: 'PUT',    path: P.PATH_KEY_DISABLE,            maxBody: SMALL,    timeoutMs: 15 * S, auth: 'policy',   metrics: true,  handler: keyState.disable },
    { method: 'PUT',    path: P.PATH_KEY_ENABLE,             maxBody: 0,        timeoutMs: 15 * S, auth: 'policy',   metrics: true,  handler: keyState.enable },
    { method: 'PUT',    path: P.PATH_KEY_RESTORE,            maxBody: 0,        timeoutMs: 15 * S, auth: 'policy',   metrics: true,  handler: keyState.restore },

    { method: 'GET',    path: P.PATH_POLICY_DESCRIBE,        maxBody: 0,        timeoutMs: 15 * S, auth: 'policy',   metrics: true,  handler: policy.describe },
    { method: 'GET',    path: P.PATH_POLICY_READ,            maxBody: 0,        timeoutMs: 15 * S, auth: 'policy',   metrics: true,  handler: policy.read },
    { method: 'GET',    path: P.PATH_POLICY_LIST,            maxBody: 0,        timeoutMs: 15 * S, auth: 'policy',   metrics: true,  handler: policy.list },
    // Keyhold extension: the resource is the identity explained, so policies can scope it.
    { method: 'PUT',    path: P.PATH_POLICY_EXPLAIN,         maxBody: SMALL,    timeoutMs: 15 * S, auth: 'policy',   metrics: true,  handler: policyExplainHandler(ctx) },

    { method: 'GET',    path: P.PATH_IDENTITY_DESCRIBE,      maxBody: 0,        timeoutMs: 15 * S, auth: 'policy',   metrics: true,  handler: identity.describe },
    { method: 'GET',    path: P.PATH_IDENTITY_LIST,          maxBody: 0,        timeoutMs: 15 * S, auth: 'policy',   metrics: true,  handler: identity.list },
    { method: 'GET',    path: P.PATH_IDENTITY_SELF_DESCRIBE, maxBody: 0,        timeoutMs: 15 * S, auth: 'identify', metrics: true,  handler: identity.selfDescribe },

    // Endless streams: no timeout.
    { method: 'GET',    path: P.PATH_LOG_ERROR,              maxBody: 0,        timeoutMs: 0,      auth: 'policy',   metrics: false, handler: extra.logError ?? notImplemented },
    { method: 'GET',    path: P.PATH_LOG_AUDIT,              maxBody: 0,        timeoutMs: 0,      auth: 'policy',   metrics: false, handler: extra.logAudit ?? notImplemented },
  ]
}
