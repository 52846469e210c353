/**
 * The admin API's answer when the bounded Argon2id derivations are all taken ({@link ./argon2-pool.ts}).
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import type { Response } from 'express'

/**
 * sendSlowDown answers 503 with S3's `SlowDown` code in MinIO's admin JSON error shape (the shape of
 * sendAdminError in ./respond.ts, whose catalogues have no such code) and `Retry-After: 1`, as the S3 API does
 * for its 503s. madmin-go and mc retry a 503 with backoff. Never throws.
 */
export function sendSlowDown(res: Response, resource: string): void {
  res.status(503).setHeader('retry-after', '1')
  res.type('application/json').send(JSON.stringify({
    Code: 'SlowDown', Message: 'Please reduce your request rate.', Resource: resource,
    RequestId: randomBytes(8).toString('hex').toUpperCase(), HostId: '',
  }))
}
