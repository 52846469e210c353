/**
 * The MinIO-compatible admin API (`/minio/admin/v3`) for users, groups, policies and service
 * accounts: one route table; every call SigV4-authenticated by the core, authorized by its
 * `admin:*` action, with madmin-encrypted bodies where madmin encrypts them.
 *
 * @module
 */
import express, { type Request, type Response, type Router } from 'express'
import { S3Error } from '../errors.js'
import type { ExtensionContext, ExtraRoute } from '../extensions.js'
import type { IamAccess } from '../iam/authorizer.js'
import { IamError, iamErr } from '../iam/errors.js'
import type { AdminHandler, AdminReply, AdminRequest } from './context.js'
import * as groups from './groups.js'
import { decryptMadminData, encryptMadminData, MADMIN_ARGON2ID_AES, MadminCryptoError } from './madmin-crypto.js'
import * as policies from './policies.js'
import { sendAdminError } from './respond.js'
import * as sa from './service-accounts.js'
import * as users from './users.js'

interface Route {
  method: 'get' | 'put' | 'post' | 'delete'
  path: string
  handler: AdminHandler
  /** Body limit in bytes (default 1 MiB; 0 for no body). */
  maxBody?: number
}

/** ROUTES is the admin API of the IAM part, relative to `/minio/admin/v3`. */
export const ROUTES: readonly Route[] = [
  { method: 'put', path: '/add-user', handler: users.addUser, maxBody: 64 * 1024 },
  { method: 'put', path: '/set-user-status', handler: users.setUserStatus, maxBody: 0 },
  { method: 'delete', path: '/remove-user', handler: users.removeUser, maxBody: 0 },
  { method: 'get', path: '/list-users', handler: users.listUsers, maxBody: 0 },
  { method: 'get', path: '/user-info', handler: users.userInfo, maxBody: 0 },
  { method: 'put', path: '/add-canned-policy', handler: policies.addCannedPolicy, maxBody: 64 * 1024 },
  { method: 'get', path: '/info-canned-policy', handler: policies.infoCannedPolicy, maxBody: 0 },
  { method: 'get', path: '/list-canned-policies', handler: policies.listCannedPolicies, maxBody: 0 },
  { method: 'delete', path: '/remove-canned-policy', handler: policies.removeCannedPolicy, maxBody: 0 },
  { method: 'put', path: '/set-user-or-group-policy', handler: policies.setUserOrGroupPolicy, maxBody: 0 },
  { method: 'post', path: '/idp/builtin/policy/attach', handler: policies.attachPolicy, maxBody: 64 * 1024 },
  { method: 'post', path: '/idp/builtin/policy/detach', handler: policies.detachPolicy, maxBody: 64 * 1024 },
  { method: 'get', path: '/idp/builtin/policy-entities', handler: policies.policyEntities, maxBody: 0 },
  { method: 'put', path: '/update-group-members', handler: groups.updateGroupMembers, maxBody: 256 * 1024 },
  { method: 'get', path: '/group', handler: groups.groupInfo, maxBody: 0 },
  { method: 'get', path: '/groups', handler: groups.listGroups, maxBody: 0 },
  { method: 'put', path: '/set-group-status', handler: groups.setGroupStatus, maxBody: 0 },
  { method: 'put', path: '/add-service-account', handler: sa.addServiceAccount, maxBody: 64 * 1024 },
  { method: 'post', path: '/update-service-account', handler: sa.updateServiceAccount, maxBody: 64 * 1024 },
  { method: 'get', path: '/info-service-account', handler: sa.infoServiceAccount, maxBody: 0 },
  { method: 'get', path: '/list-service-accounts', handler: sa.listServiceAccounts, maxBody: 0 },
  { method: 'delete', path: '/delete-service-account', handler: sa.deleteServiceAccount, maxBody: 0 },
]

/** Options of {@link iamAdminRoutes}. */
export interface AdminRouterOptions {
  access: IamAccess
  /** madmin algorithm for encrypted answers (default Argon2id + AES-GCM, as MinIO on AES-capable CPUs). */
  responseAlgorithm?: number
  /** Logs internal failures (never secrets or bodies). */
  log?: (message: string) => void
}

const badJson = (): IamError => iamErr('XMinioAdminConfigBadJSON')

function makeRequest(req: Request, body: Buffer, cred: NonNullable<Awaited<ReturnType<ExtensionContext['authenticate']>>['credential']>, access: IamAccess): AdminRequest {
  const principal = cred.principal
  const actingUser = principal.kind === 'service-account' ? principal.parentUser ?? '' : principal.accessKey
  const parse = (buf: Buffer): unknown => {
    try {
      return JSON.parse(buf.toString('utf8'))
    } catch {
      throw badJson()
    }
  }
  return {
    req, credential: cred, body, iam: access.iam, access, actingUser,
    query: (name) => {
      const v = req.query[name]
      return typeof v === 'string' ? v : ''
    },
    plainJson: () => parse(body),
    decryptJson: async () => {
      try {
        return parse(await decryptMadminData(cred.secretKey, body))
      } catch (err) {
        if (err instanceof MadminCryptoError) throw iamErr('XMinioAdminConfigBadJSON', 'The request body could not be decrypted with your secret key.')
        throw err
      }
    },
    authorize: (action, self = false) => {
      if (!access.isAllowed(principal, { action, conditions: {}, denyOnly: self })) throw new IamError('AccessDenied', 403, 'Access Denied.')
    },
  }
}

async function send(res: Response, reply: AdminReply, secret: string, algorithm: number): Promise<void> {
  if (reply.json === undefined) {
    res.status(reply.status).end()
    return
  }
  const text = reply.indent ? JSON.stringify(reply.json, null, 1) : JSON.stringify(reply.json)
  if (!reply.encrypt) {
    res.status(reply.status).type('application/json').send(text)
    return
  }
  const body = await encryptMadminData(secret, Buffer.from(text, 'utf8'), algorithm)
  res.status(reply.status).type('application/octet-stream').send(body)
}

function router(opts: AdminRouterOptions, ctx: ExtensionContext): Router {
  const r = express.Router()
  for (const route of ROUTES) {
    r[route.method](route.path, async (req: Request, res: Response) => {
      const resource = req.originalUrl.split('?')[0] ?? ''
      try {
        const { credential, body } = await ctx.authenticate(req, { maxBody: route.maxBody ?? 1024 * 1024 })
        if (!credential) throw new IamError('AccessDenied', 403, 'Access Denied.')
        const reply = await route.handler(makeRequest(req, body, credential, opts.access))
        await send(res, reply, credential.secretKey, opts.responseAlgorithm ?? MADMIN_ARGON2ID_AES)
      } catch (err) {
        if (err instanceof IamError || err instanceof S3Error) return sendAdminError(res, err.status, err.code, err.message, resource)
        opts.log?.(`admin ${route.path}: ${(err as Error).name}`)
        sendAdminError(res, 500, 'InternalError', 'We encountered an internal error, please try again.', resource)
      }
    })
  }
  // MinIO answers admin calls it does not know with a JSON error (not Express's HTML 404).
  r.use((req: Request, res: Response) => {
    const resource = req.originalUrl.split('?')[0] ?? ''
    sendAdminError(res, 400, 'XMinioUnknownAPIRequest', `Unknown API request at ${resource}`, resource)
  })
  return r
}

/** iamAdminRoutes returns the `/minio/admin/v3` route for the IAM admin API; mount it after the KMS routes. */
export function iamAdminRoutes(opts: AdminRouterOptions): ExtraRoute[] {
  return [{
    prefix: '/minio/admin/v3',
    router: (ctx) => {
      // The core's bucket configuration holds bucket policies; the authorizer reads them for anonymous requests.
      opts.access.useBucketPolicies((bucket) => ctx.bucketConfig.get(bucket, 'policy'))
      return router(opts, ctx)
    },
  }]
}
