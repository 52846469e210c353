/**
 * Authentication for extra routes (admin and KMS APIs): verify the SigV4 signature, then read the body fully
 * (bounded) and verify it against x-amz-content-sha256. The credential returned carries the principal that IAM
 * then authorizes, as S3 routes hand `ctx.principal` on. SigV2 is refused here, as MinIO's admin and KMS APIs
 * do (validateAdminSignature): it signs no payload hash, so an admin body would go unauthenticated.
 *
 * @module
 */
import type { Request } from 'express'
import { s3err } from '../api/errors.js'
import type { ExtensionContext } from '../extensions.js'
import { parseQuery } from './sigv4/canonical.js'
import { isSigV2 } from './sigv2/verify.js'
import { isAnonymous, verifySignature } from './sigv4/verify.js'
import { readSmallBody } from '../api/body.js'
import { newCtx, newRequestId, type Core } from '../api/context.js'

/** makeAuthenticate builds {@link ExtensionContext.authenticate} for a server. */
export function makeAuthenticate(core: Core): ExtensionContext['authenticate'] {
  return async (req: Request, options = {}) => {
    const url = req.originalUrl ?? req.url
    const qi = url.indexOf('?')
    const rawPath = qi < 0 ? url : url.slice(0, qi)
    const queryPairs = parseQuery(qi < 0 ? '' : url.slice(qi + 1))
    const ctx = newCtx(core, req, req.res!, { requestId: newRequestId(), rawPath, queryPairs })
    const sig = { method: req.method, rawPath, query: queryPairs, headers: req.headers }
    if (isAnonymous(sig)) {
      if (options.anonymous !== true) throw s3err('AccessDenied')
    } else if (isSigV2(sig)) {
      throw s3err('AccessDenied')
    } else {
      ctx.signed = await verifySignature(sig, {
        credentials: core.credentials, region: core.region, maxSkewMs: core.maxSkewMs, domain: core.domain,
      })
      ctx.principal = ctx.signed.credential.principal
    }
    const body = await readSmallBody(ctx, options.maxBody ?? 1 << 20)
    return { credential: ctx.signed?.credential ?? null, body }
  }
}
