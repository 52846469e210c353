/**
 * The key name a key route names: one small module of its own, because every key handler (key.ts,
 * key-crypto.ts, key-state.ts, key-rotate.ts) needs it and key.ts needs some of them.
 *
 * @module
 */
import { errInvalidKeyName } from '../api/errors.js'
import type { ApiRequest } from '../api/route.js'
import { isValidName } from '../api/validate.js'

/** keyName returns the request's key name. Throws 400 when it is not a valid name. */
export function keyName(req: ApiRequest): string {
  if (!isValidName(req.resource)) throw errInvalidKeyName(req.resource)
  return req.resource
}
