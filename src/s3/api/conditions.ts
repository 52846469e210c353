/**
 * Policy condition keys of a request (`aws:*` and `s3:*`), as MinIO fills them for its policy engine.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'
import type { TLSSocket } from 'node:tls'
import type { Principal } from '../extensions.js'
import { header, type Ctx } from './context.js'
import { parseCopySource } from './copy-source.js'
import { requestedVersion } from './version-id.js'

/**
 * requestConditions collects the `aws:*` condition values every request has, S3 or admin: MinIO evaluates
 * admin, KMS and metrics calls with them too (`getConditionValues(r, "", cred)`), so a Deny conditioned on
 * `aws:SecureTransport` or `aws:SourceIp` applies to them. Throws nothing.
 */
export function requestConditions(req: IncomingMessage, principal: Principal | null): Record<string, string[]> {
  const now = new Date()
  const c: Record<string, string[]> = {
    'aws:SecureTransport': [String((req.socket as TLSSocket).encrypted === true)],
    'aws:SourceIp': [normalizeIp(req.socket.remoteAddress ?? '')],
    'aws:CurrentTime': [now.toISOString()],
    'aws:EpochTime': [String(Math.floor(now.getTime() / 1000))],
  }
  const add = (name: string, value: string | undefined): void => {
    if (value !== undefined) c[name] = [value]
  }
  add('aws:UserAgent', header(req, 'user-agent'))
  add('aws:Referer', header(req, 'referer'))
  if (principal !== null) {
    add('aws:username', principal.kind === 'service-account' ? principal.parentUser : principal.accessKey)
    add('aws:userid', principal.accessKey)
    add('aws:principaltype', principal.kind === 'root' ? 'Account' : 'User')
  }
  return c
}

/** conditionsOf collects the condition values of an S3 request. Throws nothing. */
export function conditionsOf(ctx: Ctx): Record<string, string[]> {
  const c = requestConditions(ctx.req, ctx.principal)
  const add = (name: string, value: string | undefined): void => {
    if (value !== undefined) c[name] = [value]
  }
  for (const q of ['prefix', 'delimiter', 'max-keys']) add(`s3:${q}`, ctx.query.get(q))
  // The version a request names, or its copy source names (MinIO's versionid): a Deny on it must bind.
  add('s3:versionid', requestedVersion(ctx.query.get('versionId')) ?? copySourceVersion(header(ctx.req, 'x-amz-copy-source')))
  for (const h of ['x-amz-server-side-encryption', 'x-amz-server-side-encryption-aws-kms-key-id', 'x-amz-copy-source',
    'x-amz-metadata-directive', 'x-amz-content-sha256', 'x-amz-storage-class']) {
    add(`s3:${h}`, header(ctx.req, h))
  }
  // MinIO's values: AWS for SigV2, AWS4-HMAC-SHA256 for SigV4.
  if (ctx.signed !== null) add('s3:signatureversion', ctx.signed.version === 2 ? 'AWS' : 'AWS4-HMAC-SHA256')
  if (ctx.signed !== null) add('s3:authType', ctx.signed.presigned ? 'REST-QUERY-STRING' : 'REST-HEADER')
  return c
}

/** The version a copy source names, read as the copy reads it; undefined when it names none or cannot be read. */
function copySourceVersion(source: string | undefined): string | undefined {
  if (source === undefined) return undefined
  try {
    return parseCopySource(source).versionId
  } catch {
    return undefined // the copy refuses it
  }
}

function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip
}
