/**
 * The MinIO-compatible admin API (`/minio/admin/v3`) for users, groups, policies and service
 * accounts: one route table; every call SigV4-authenticated by the core, authorized by its
 * `admin:*` action, with madmin-encrypted bodies where madmin encrypts them.
 *
 * @module
 */
import { requestConditions } from '../api/conditions.js'
import express, { type Request, type Response, type Router } from 'express'
import { S3Error } from '../api/errors.js'
import type { Credential, ExtensionContext, ExtraRoute } from '../extensions.js'
import type { IamAccess } from '../iam/authorizer.js'
import { IamError, iamErr } from '../iam/errors.js'
import { accessDenied, authorizeCall, OWN_SERVICE_ACCOUNT, OWN_SERVICE_ACCOUNT_LIST, OWN_SERVICE_ACCOUNT_PARENT, OWN_USER, type AdminAction, type SelfService } from './authz.js'
import type { AdminHandler, AdminReply, AdminRequest } from './context.js'
import * as groups from './groups.js'
import { Argon2BusyError } from './argon2-pool.js'
import { decryptMadminData, encryptMadminData, MADMIN_PBKDF2_AES, MadminCryptoError } from './madmin-crypto.js'
import * as policies from './policies.js'
import { sendAdminError } from './respond.js'
import { sendSlowDown } from './slow-down.js'
import * as sa from './service-accounts.js'
import * as users from './users.js'
import type { MessageLog } from '../../lib/logger.js'

interface Route {
  method: 'get' | 'put' | 'post' | 'delete'
  path: string
  /** The admin actions that allow the call; any one suffices (MinIO's validateAdminReq). */
  actions: readonly AdminAction[]
  /** The only way to call the route without `actions`: on the caller's own account. */
  self?: SelfService
  /** What a caller allowed neither way is answered (default 403 AccessDenied). */
  denied?: () => IamError
  handler: AdminHandler
  /** Body limit in bytes (default 1 MiB; 0 for no body). */
  maxBody?: number
}

const KIB = 1024
const noSuchServiceAccount = (): IamError => iamErr('XMinioAdminNoSuchServiceAccount')

/**
 * ROUTES is the admin API of the IAM part, relative to `/minio/admin/v3`, with the actions MinIO
 * checks for each (cmd/admin-handlers-users.go). Self-service exceptions are listed here and nowhere else.
 */
export const ROUTES: readonly Route[] = [
  // A user may change its own secret (and nothing else) without admin:CreateUser.
  { method: 'put', path: '/add-user', actions: ['admin:CreateUser'], self: OWN_USER, handler: users.addUser, maxBody: 64 * KIB },
  // MinIO checks admin:EnableUser and admin:EnableGroup for both directions.
  { method: 'put', path: '/set-user-status', actions: ['admin:EnableUser'], handler: users.setUserStatus, maxBody: 0 },
  { method: 'delete', path: '/remove-user', actions: ['admin:DeleteUser'], handler: users.removeUser, maxBody: 0 },
  { method: 'get', path: '/list-users', actions: ['admin:ListUsers'], handler: users.listUsers, maxBody: 0 },
  { method: 'get', path: '/user-info', actions: ['admin:GetUser'], self: OWN_USER, handler: users.userInfo, maxBody: 0 },
  { method: 'put', path: '/add-canned-policy', actions: ['admin:CreatePolicy'], handler: policies.addCannedPolicy, maxBody: 64 * KIB },
  { method: 'get', path: '/info-canned-policy', actions: ['admin:GetPolicy'], handler: policies.infoCannedPolicy, maxBody: 0 },
  { method: 'get', path: '/list-canned-policies', actions: ['admin:ListUserPolicies'], handler: policies.listCannedPolicies, maxBody: 0 },
  { method: 'delete', path: '/remove-canned-policy', actions: ['admin:DeletePolicy'], handler: policies.removeCannedPolicy, maxBody: 0 },
  { method: 'put', path: '/set-user-or-group-policy', actions: ['admin:AttachUserOrGroupPolicy'], handler: policies.setUserOrGroupPolicy, maxBody: 0 },
  { method: 'post', path: '/idp/builtin/policy/attach', actions: ['admin:UpdatePolicyAssociation', 'admin:AttachUserOrGroupPolicy'], handler: policies.attachPolicy, maxBody: 64 * KIB },
  { method: 'post', path: '/idp/builtin/policy/detach', actions: ['admin:UpdatePolicyAssociation', 'admin:AttachUserOrGroupPolicy'], handler: policies.detachPolicy, maxBody: 64 * KIB },
  { method: 'get', path: '/idp/builtin/policy-entities', actions: ['admin:ListGroups', 'admin:ListUsers', 'admin:ListUserPolicies'], handler: policies.policyEntities, maxBody: 0 },
  { method: 'put', path: '/update-group-members', actions: ['admin:AddUserToGroup'], handler: groups.updateGroupMembers, maxBody: 256 * KIB },
  { method: 'get', path: '/group', actions: ['admin:GetGroup'], handler: groups.groupInfo, maxBody: 0 },
  { method: 'get', path: '/groups', actions: ['admin:ListGroups'], handler: groups.listGroups, maxBody: 0 },
  { method: 'put', path: '/set-group-status', actions: ['admin:EnableGroup'], handler: groups.setGroupStatus, maxBody: 0 },
  // Service accounts for oneself (or a service account's parent) unless a policy denies it.
  { method: 'put', path: '/add-service-account', actions: ['admin:CreateServiceAccount'], self: OWN_SERVICE_ACCOUNT_PARENT, handler: sa.addServiceAccount, maxBody: 64 * KIB },
  // MinIO lets no one edit even their own service accounts without the action (minio#18928).
  { method: 'post', path: '/update-service-account', actions: ['admin:UpdateServiceAccount'], handler: sa.updateServiceAccount, maxBody: 64 * KIB },
  { method: 'get', path: '/info-service-account', actions: ['admin:ListServiceAccounts'], self: OWN_SERVICE_ACCOUNT, handler: sa.infoServiceAccount, maxBody: 0 },
  { method: 'get', path: '/list-service-accounts', actions: ['admin:ListServiceAccounts'], self: OWN_SERVICE_ACCOUNT_LIST, handler: sa.listServiceAccounts, maxBody: 0 },
  // Another user's account is "not found" to a caller without the action, as in MinIO.
  { method: 'delete', path: '/delete-service-account', actions: ['admin:RemoveServiceAccount'], self: OWN_SERVICE_ACCOUNT, denied: noSuchServiceAccount, handler: sa.deleteServiceAccount, maxBody: 0 },
]

/** Options of {@link iamAdminRoutes}. */
export interface AdminRouterOptions {
  access: IamAccess
  /**
   * madmin algorithm for encrypted answers (default {@link DEFAULT_RESPONSE_ALGORITHM}, PBKDF2 + AES-GCM). An
   * Argon2id id (0, 1) is honoured while the bounded Argon2id worker has room, else that answer uses PBKDF2.
   */
  responseAlgorithm?: number
  /** Logs internal failures (never secrets or bodies). */
  log?: MessageLog
}

const badJson = (): IamError => iamErr('XMinioAdminConfigBadJSON')

function makeRequest(req: Request, body: Buffer, cred: Credential, access: IamAccess): AdminRequest {
  const principal = cred.principal
  const actingUser = principal.kind === 'service-account' ? principal.parentUser ?? '' : principal.accessKey
  const parse = (buf: Buffer): unknown => {
    try {
      return JSON.parse(buf.toString('utf8'))
    } catch {
      throw badJson()
    }
  }
  let decrypted: Promise<unknown> | undefined
  const decrypt = async (): Promise<unknown> => {
    try {
      return parse(await decryptMadminData(cred.secretKey, body))
    } catch (err) {
      if (err instanceof MadminCryptoError) throw iamErr('XMinioAdminConfigBadJSON', 'The request body could not be decrypted with your secret key.')
      throw err
    }
  }
  // The request's aws:* values, as for S3: a Deny on aws:SecureTransport or aws:SourceIp binds admin calls too.
  const conditions = requestConditions(req, principal)
  const isAllowed = (action: string, denyOnly = false): boolean => access.isAllowed(principal, { action, conditions, denyOnly })
  return {
    req, credential: cred, body, iam: access.iam, access, actingUser, grant: 'admin',
    query: (name) => {
      const v = req.query[name]
      return typeof v === 'string' ? v : ''
    },
    plainJson: () => parse(body),
    decryptJson: () => (decrypted ??= decrypt()),
    isAllowed,
    authorize: (action) => {
      if (!isAllowed(action)) throw accessDenied()
    },
  }
}

/**
 * Encrypted answers use PBKDF2-SHA256 + AES-GCM (id 2) by default, not Argon2id as MinIO does outside FIPS mode.
 * Every madmin-go and mc decrypts all three ids whatever the server's build (DecryptData switches on the id
 * byte; FIPS builds of MinIO answer with id 2 to the same clients). PBKDF2 (8192 rounds) costs ~5 ms on libuv's
 * thread pool, where an Argon2id costs ~300 ms of CPU and 64 MiB of memory: a price any user with
 * self-service rights could make the server pay per request. Argon2id's memory-hardness buys nothing here:
 * whoever can read the answer's ciphertext can also read the request's SigV4 signature, an HMAC of the
 * same secret that is far cheaper to test guesses against.
 */
const DEFAULT_RESPONSE_ALGORITHM = MADMIN_PBKDF2_AES

/** sealAnswer encrypts an answer; an Argon2id answer falls back to PBKDF2 rather than fail a call already done. */
async function sealAnswer(secret: string, plain: Buffer, algorithm: number): Promise<Buffer> {
  try {
    return await encryptMadminData(secret, plain, algorithm)
  } catch (err) {
    if (err instanceof Argon2BusyError) return encryptMadminData(secret, plain, MADMIN_PBKDF2_AES)
    throw err
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
  const body = await sealAnswer(secret, Buffer.from(text, 'utf8'), algorithm)
  res.status(reply.status).type('application/octet-stream').send(body)
}

function router(opts: AdminRouterOptions, ctx: ExtensionContext): Router {
  const r = express.Router()
  for (const route of ROUTES) {
    r[route.method](route.path, async (req: Request, res: Response) => {
      const resource = req.originalUrl.split('?')[0] ?? ''
      try {
        const { credential, body } = await ctx.authenticate(req, { maxBody: route.maxBody ?? 1024 * 1024 })
        if (!credential) throw accessDenied()
        const call = makeRequest(req, body, credential, opts.access)
        // Deny by default: no handler runs before the route's actions or its self-service rule allow the call.
        call.grant = await authorizeCall(call, route.actions, route.self, route.denied)
        const reply = await route.handler(call)
        await send(res, reply, credential.secretKey, opts.responseAlgorithm ?? DEFAULT_RESPONSE_ALGORITHM)
      } catch (err) {
        if (err instanceof IamError || err instanceof S3Error) return sendAdminError(res, err, resource)
        // An Argon2id-encrypted body found the bounded derivation queue full: nothing was decrypted or changed.
        if (err instanceof Argon2BusyError) return sendSlowDown(res, resource)
        opts.log?.error(`admin ${route.path}: ${(err as Error).name}`)
        sendAdminError(res, iamErr('InternalError'), resource)
      }
    })
  }
  // MinIO answers admin calls it does not know with a JSON error (not Express's HTML 404).
  r.use((req: Request, res: Response) => {
    const resource = req.originalUrl.split('?')[0] ?? ''
    sendAdminError(res, iamErr('XMinioUnknownAPIRequest', `Unknown API request at ${resource}`), resource)
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
