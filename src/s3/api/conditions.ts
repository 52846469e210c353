/**
 * Policy condition keys of a request (`aws:*` and `s3:*`), as MinIO fills them for its policy engine.
 *
 * @module
 */
import { header, type Ctx } from './context.js'

/** conditionsOf collects the condition values of a request. */
export function conditionsOf(ctx: Ctx): Record<string, string[]> {
  const now = new Date()
  const c: Record<string, string[]> = {
    'aws:SecureTransport': [String(ctx.secure)],
    'aws:SourceIp': [normalizeIp(ctx.req.socket.remoteAddress ?? '')],
    'aws:CurrentTime': [now.toISOString()],
    'aws:EpochTime': [String(Math.floor(now.getTime() / 1000))],
  }
  const add = (name: string, value: string | undefined): void => {
    if (value !== undefined) c[name] = [value]
  }
  add('aws:UserAgent', header(ctx.req, 'user-agent'))
  add('aws:Referer', header(ctx.req, 'referer'))
  if (ctx.principal !== null) {
    add('aws:username', ctx.principal.kind === 'service-account' ? ctx.principal.parentUser : ctx.principal.accessKey)
    add('aws:userid', ctx.principal.accessKey)
    add('aws:principaltype', ctx.principal.kind === 'root' ? 'Account' : 'User')
  }
  for (const q of ['prefix', 'delimiter', 'max-keys']) add(`s3:${q}`, ctx.query.get(q))
  for (const h of ['x-amz-server-side-encryption', 'x-amz-server-side-encryption-aws-kms-key-id', 'x-amz-copy-source',
    'x-amz-metadata-directive', 'x-amz-content-sha256', 'x-amz-storage-class']) {
    add(`s3:${h}`, header(ctx.req, h))
  }
  // MinIO's values: AWS for SigV2, AWS4-HMAC-SHA256 for SigV4.
  if (ctx.signed !== null) add('s3:signatureversion', ctx.signed.version === 2 ? 'AWS' : 'AWS4-HMAC-SHA256')
  if (ctx.signed !== null) add('s3:authType', ctx.signed.presigned ? 'REST-QUERY-STRING' : 'REST-HEADER')
  return c
}

function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip
}
