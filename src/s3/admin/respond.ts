/**
 * Answers of the admin API: MinIO's JSON error body, plain or madmin-encrypted JSON, Go time format,
 * and recognising old madmin clients whose wire shapes differ.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import type { Request, Response } from 'express'

/** goTime formats a date as Go's time.Time JSON (RFC 3339, UTC); null → Go's zero time. Never throws. */
export function goTime(d: Date | null | undefined): string {
  if (!d) return '0001-01-01T00:00:00Z'
  return d.toISOString().replace('.000Z', 'Z')
}

/** What an admin error answer shows of an error (an IamError, an S3Error, or the admin API's own): status, code, message. */
export interface AdminErrorFields { readonly status: number; readonly code: string; readonly message: string }

/**
 * sendAdminError writes MinIO's admin JSON error `{"Code","Message","Resource","RequestId","HostId"}` with the
 * status of the error's code: an IAM catalogue error, an S3 one (authentication, the KMS), or the admin API's own
 * (slow-down.ts). Never throws.
 */
export function sendAdminError(res: Response, err: AdminErrorFields, resource: string): void {
  res.status(err.status).type('application/json').send(JSON.stringify({
    Code: err.code, Message: err.message, Resource: resource, RequestId: randomBytes(8).toString('hex').toUpperCase(), HostId: '',
  }))
}

/**
 * madminMajor returns the major version of the madmin-go client from its User-Agent
 * (`MinIO (linux; amd64) madmin-go/2.0.0 …`), or undefined for other clients. Never throws.
 */
function madminMajor(req: Request): number | undefined {
  const m = /madmin-go\/(\d+)\./.exec(req.get('user-agent') ?? '')
  return m ? Number(m[1]) : undefined
}

/** isLegacyMadmin: madmin-go before v3 expects the older shapes (string account lists, 201/204 attach). */
export function isLegacyMadmin(req: Request): boolean {
  const major = madminMajor(req)
  return major !== undefined && major < 3
}
