/**
 * MinIO's KMS administration API on keyhold-s3 (`cmd/kms-router.go`, `cmd/kms-handlers.go`, and the
 * legacy twins in `cmd/admin-router.go`): status, key status (generate, decrypt, constant-time
 * compare), key create and key list, each SigV4-authenticated and authorized with MinIO's action.
 *
 * @module
 */
import { requestConditions } from '../api/conditions.js'
import express, { type Request, type Response, type Router } from 'express'
import { S3Error, S3_ERRORS, s3err } from '../api/errors.js'
import { sendAdminError } from '../admin/respond.js'
import type { Authorizer, ExtensionContext, ExtraRoute, S3Action } from '../extensions.js'
import type { Kms } from './kms.js'
import type { MessageLog } from '../../lib/logger.js'

/** Options of {@link kmsAdminRoutes}. */
export interface KmsAdminOptions {
  /** The KMS connection; undefined answers every call with 501 NotImplemented. */
  kms?: Kms
  /** Used when the server offers none in its ExtensionContext; default: only root is allowed. */
  authorizer?: Authorizer
  /** Logs internal failures (never key material). */
  log?: MessageLog
}

type Handler = (kms: Kms, req: Request) => Promise<unknown>

interface Endpoint {
  method: 'get' | 'post'
  path: string
  action: string
  handler: Handler
  /** The call names a key (`key-id`, the default key when empty): authorized for that key. */
  key?: boolean
  /** The answer lists keys: only those the caller may use this action on are shown (MinIO filters alike). */
  perKey?: boolean
}

const query = (req: Request, name: string): string => {
  const v = req.query[name]
  return typeof v === 'string' ? v : ''
}

const status: Handler = (kms) => kms.status()
const keyStatus: Handler = (kms, req) => kms.keyStatus(query(req, 'key-id'))
const createKey: Handler = async (kms, req) => {
  const keyId = query(req, 'key-id')
  if (keyId === '') throw s3err('InvalidArgument', 'key-id is required')
  await kms.createKey(keyId)
  return undefined
}
const listKeys: Handler = async (kms, req) => (await kms.listKeys(query(req, 'pattern'))).map((name) => ({ name }))
const version: Handler = async () => ({ version: 'keyhold' })

// MinIO's action names: kms:* on /minio/kms/v1, admin:KMS* on the legacy admin twins.
const KMS_V1: Endpoint[] = [
  { method: 'get', path: '/status', action: 'kms:Status', handler: status },
  { method: 'get', path: '/version', action: 'kms:API', handler: version },
  { method: 'get', path: '/key/status', action: 'kms:KeyStatus', handler: keyStatus, key: true },
  { method: 'post', path: '/key/create', action: 'kms:CreateKey', handler: createKey, key: true },
  { method: 'get', path: '/key/list', action: 'kms:ListKeys', handler: listKeys, perKey: true },
]
const ADMIN_V3: Endpoint[] = [
  { method: 'post', path: '/status', action: 'admin:KMSKeyStatus', handler: status },
  { method: 'get', path: '/key/status', action: 'admin:KMSKeyStatus', handler: keyStatus, key: true },
  { method: 'post', path: '/key/create', action: 'admin:KMSCreateKey', handler: createKey, key: true },
]

const ROOT_ONLY: Authorizer = { authorize: async (q) => q.principal?.kind === 'root' }

/**
 * onlyPermitted keeps the listed keys the caller may use the listing's action on: a statement granting
 * `kms:ListKeys` on `arn:minio:kms:::prod-*` shows the prod-* keys and no others. Throws what the authorizer throws.
 */
async function onlyPermitted(keys: Array<{ name: string }>, mayUse: (key: string) => Promise<boolean>): Promise<Array<{ name: string }>> {
  const kept: Array<{ name: string }> = []
  for (const k of keys) if (await mayUse(k.name)) kept.push(k)
  return kept
}

function router(endpoints: Endpoint[], opts: KmsAdminOptions, ctx: ExtensionContext): Router {
  const r = express.Router()
  for (const ep of endpoints) {
    r[ep.method](ep.path, async (req: Request, res: Response) => {
      const resource = req.originalUrl.split('?')[0] ?? ''
      try {
        const { credential } = await ctx.authenticate(req, { maxBody: 0 })
        // kms:*/admin:* are outside the S3 action union; the authorizer evaluates them like any action.
        const authorizer = ctx.authorizer ?? opts.authorizer ?? ROOT_ONLY
        const principal = credential?.principal ?? null
        // The key a call names is its resource (arn:minio:kms:::<key>), so key-scoped statements apply. An
        // empty key-id means the default key, and is decided as that key.
        const conditions = requestConditions(req, principal)
        const mayUse = (key?: string) => authorizer.authorize({ principal, action: ep.action as S3Action, conditions, ...(key !== undefined ? { key } : {}) })
        const keyId = ep.key ? query(req, 'key-id') || opts.kms?.defaultKey || '' : undefined
        if (!(await mayUse(keyId))) throw s3err('AccessDenied')
        if (opts.kms === undefined) throw S3_ERRORS.kmsNotConfigured()
        let body = await ep.handler(opts.kms, req)
        if (ep.perKey === true) body = await onlyPermitted(body as Array<{ name: string }>, mayUse)
        if (body === undefined) res.status(200).end()
        else res.status(200).type('application/json').send(JSON.stringify(body))
      } catch (err) {
        if (err instanceof S3Error) return sendAdminError(res, err, resource)
        opts.log?.error(`kms admin ${ep.path}: ${(err as Error).name}`)
        sendAdminError(res, s3err('InternalError'), resource)
      }
    })
  }
  return r
}

/**
 * kmsAdminRoutes returns the routers for `/minio/kms/v1` and `/minio/admin/v3/kms`; mount them
 * before the admin router so the `/kms/...` paths reach them. Errors are MinIO's JSON error bodies.
 */
export function kmsAdminRoutes(opts: KmsAdminOptions): ExtraRoute[] {
  return [
    { prefix: '/minio/kms/v1', router: (ctx) => router(KMS_V1, opts, ctx) },
    { prefix: '/minio/admin/v3/kms', router: (ctx) => router(ADMIN_V3, opts, ctx) },
  ]
}
