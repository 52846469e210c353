/**
 * Mapping keystore failures to KES replies: the two well-known errors keep their texts, every
 * other failure becomes the route's fixed 5xx with the cause kept for the error log only.
 *
 * @module
 */
import { KeyExistsError, KeyNotFoundError } from '../keystore/keystore.js'
import { errKeyExists, errKeyNotFound, isApiError, type ApiError } from '../api/errors.js'

/** keyError maps a keystore/cache error; `fallback` is the route's fixed 5xx. Never throws. */
export function keyError(err: unknown, fallback: (cause?: unknown) => ApiError): ApiError {
  if (isApiError(err)) return err
  if (err instanceof KeyNotFoundError) return errKeyNotFound()
  if (err instanceof KeyExistsError) return errKeyExists()
  return fallback(err)
}
