/**
 * The admin API's answer when the bounded Argon2id derivations are all taken ({@link ./argon2-pool.ts}).
 *
 * @module
 */
import type { Response } from 'express'
import { sendAdminError } from './respond.js'

/**
 * sendSlowDown answers 503 with S3's `SlowDown` code in MinIO's admin JSON error shape ({@link sendAdminError};
 * the error catalogues have no such code) and `Retry-After: 1`, as the S3 API does for its 503s. madmin-go and
 * mc retry a 503 with backoff. Never throws.
 */
export function sendSlowDown(res: Response, resource: string): void {
  res.setHeader('retry-after', '1')
  sendAdminError(res, { status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' }, resource)
}
