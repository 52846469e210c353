/**
 * Key rotation handlers (docs/key-rotation.md, "API"): `PUT /v1/key/rotate/<name>` makes a new
 * version current, and describe reports the versions of a rotated key.
 *
 * @module
 */
import { errRotateConflict, errRotateKey, errStaleVersions, errTooManyVersions } from '../api/errors.js'
import type { ApiHandler } from '../api/route.js'
import { replyJson } from '../api/reply.js'
import type { KeyVersion } from '../crypto/key.js'
import { StaleVersionsError } from '../keystore/key-versions.js'
import { versionIndexOf } from '../keystore/version-index.js'
import { untilDeadline } from '../keystore/store-deadline.js'
import { RotationConflictError, rotateKey, TooManyVersionsError } from '../keystore/rotate.js'
import type { RequestAuditInfo } from '../observability/observe.js'
import type { ServerContext } from '../state.js'
import { rfc3339Nano } from './body.js'
import { keyName } from './key-name.js'
import { keyError } from './key-errors.js'
import { checkKeyUse } from './key-state.js'

/** The fields describe adds for a rotated key: the current version number and every version. */
export interface VersionsField {
  version?: number
  versions?: { version: number; created_at: string }[]
}

/**
 * describeVersions returns what describe adds for key `name` (current key `key`): nothing for
 * a key never rotated, so that its answer stays byte-exact KES, and nothing when the versions
 * cannot be read (describe answered without them before rotation existed). Throws nothing.
 */
export async function describeVersions(ctx: ServerContext, name: string, key: KeyVersion, deadline?: () => AbortSignal): Promise<VersionsField> {
  let kv
  try {
    // The versions decrypt keeps in memory: describe does not read every version each time. Waited for
    // until the request's deadline at most: describe then answers without them.
    kv = await untilDeadline(versionIndexOf(ctx.keys).versions(name, key), deadline?.())
  } catch (err) {
    if (!(err instanceof StaleVersionsError)) ctx.log.warn({ key: name, err: (err as Error).message }, 'describe: cannot read the key versions')
    return {}
  }
  if (kv.versions.length <= 1) return {}
  return {
    version: kv.current,
    versions: kv.versions.map((v) => ({ version: v.version, created_at: rfc3339Nano(v.key.createdAt) })),
  }
}

/** rotateHandler returns the handler of `PUT /v1/key/rotate/<name>`. */
export function rotateHandler(ctx: ServerContext): ApiHandler {
  return async (req, res) => {
    const name = keyName(req)
    let rotated
    try {
      // A key scheduled for deletion does not exist to clients (404); a disabled one may rotate and stays disabled.
      await checkKeyUse(ctx, name, await ctx.keys.get(name, () => req.storeSignal), 'describe', () => req.storeSignal)
      rotated = (await rotateKey(ctx.keys, name, req.identity, req.storeSignal))!
    } catch (err) {
      if (err instanceof RotationConflictError) throw errRotateConflict(err)
      if (err instanceof StaleVersionsError) throw errStaleVersions(err)
      if (err instanceof TooManyVersionsError) throw errTooManyVersions(err)
      throw keyError(err, errRotateKey)
    }
    ;(res.locals as RequestAuditInfo).auditMessage = `secret key '${name}' rotated to version ${rotated.version}`
    replyJson(res, { name, version: rotated.version, created_at: rfc3339Nano(rotated.createdAt) })
  }
}
