/**
 * Who may call which admin endpoint: the privilege-escalation attacks first (a user granting itself
 * consoleAdmin through add-user, a restricted service account minting an unrestricted sibling, ...),
 * then every IAM admin endpoint run as every kind of caller over a real TLS server, asserting status
 * and error code cell by cell against MinIO's rules (cmd/admin-handlers-users.go).
 */
import { request } from 'node:https'
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROUTES } from '../../../src/s3/admin/router.js'
import { addServiceAccount } from '../../../src/s3/iam/service-accounts.js'
import { adminCall, ROOT, s3Client, startIamServer, type AdminAnswer, type AdminCall, type IamServer } from './helpers.js'

let srv: IamServer
const iam = () => srv.hooks.iam

type Creds = { accessKey: string; secretKey: string }
const CALLERS = ['root', 'admin', 'narrow', 'nopol', 'saRoot', 'saAdmin', 'saNarrow', 'saNopol', 'disabled', 'anonymous'] as const
type Caller = typeof CALLERS[number]

const CREDS: Record<Exclude<Caller, 'anonymous'>, Creds> = {
  root: ROOT,
  admin: { accessKey: 'admin', secretKey: 'admin-secret-1' },
  narrow: { accessKey: 'narrow', secretKey: 'narrow-secret-1' },
  nopol: { accessKey: 'nopol', secretKey: 'nopol-secret-1' },
  saRoot: { accessKey: 'SAROOT', secretKey: 'saroot-secret-1' },
  saAdmin: { accessKey: 'SAADMIN', secretKey: 'saadmin-secret-1' },
  saNarrow: { accessKey: 'SANARROW', secretKey: 'sanarrow-secret-1' },
  saNopol: { accessKey: 'SANOPOL', secretKey: 'sanopol-secret-1' },
  disabled: { accessKey: 'disabled', secretKey: 'disabled-secret-1' },
}
/** The user each caller acts for, and the sibling service account it owns through that user. */
const ACTING: Record<Caller, string> = {
  root: ROOT.accessKey, admin: 'admin', narrow: 'narrow', nopol: 'nopol',
  saRoot: ROOT.accessKey, saAdmin: 'admin', saNarrow: 'narrow', saNopol: 'nopol', disabled: 'disabled', anonymous: 'victim',
}
const sibling = (c: Caller): string => `SIB${ACTING[c].toUpperCase()}`.slice(0, 20)

const NARROW_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:*'], Resource: ['arn:aws:s3:::bucket1', 'arn:aws:s3:::bucket1/*'] }],
})

/** anonymousCall sends an admin request without any signature. */
function anonymousCall(call: AdminCall): Promise<AdminAnswer> {
  const url = new URL(srv.url)
  const qs = new URLSearchParams(call.query ?? []).toString()
  const body = Buffer.from(call.enc !== undefined ? JSON.stringify(call.enc) : call.plain ?? '')
  return new Promise((resolve, reject) => {
    const req = request({
      host: url.hostname, port: url.port, method: call.method, path: `/minio/admin/v3${call.path}${qs ? `?${qs}` : ''}`,
      headers: { 'content-length': String(body.length) }, ca: srv.ca, timeout: 20_000,
    }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks)
        let json: unknown
        try { json = JSON.parse(text.toString()) } catch { json = undefined }
        resolve({ status: res.statusCode ?? 0, body: text, json })
      })
    })
    req.on('error', reject)
    req.end(body)
  })
}

const callAs = (c: Caller, call: AdminCall): Promise<AdminAnswer> => (c === 'anonymous' ? anonymousCall(call) : adminCall(srv, CREDS[c], call))
/** outcome renders an answer as the table spells it: "200", or "403 AccessDenied". */
const outcome = (a: AdminAnswer): string => (a.status < 300 ? String(a.status) : `${a.status} ${(a.json as { Code?: string } | undefined)?.Code ?? '?'}`)

/** Restores the world every cell starts from: the victim, its service account, group, spare policy, siblings. */
async function reset(): Promise<void> {
  const i = iam()
  if (!i.users.getUser('victim')) await i.addUser('victim', 'victim-secret-1')
  i.users.setUserStatus('victim', 'enabled')
  i.setPolicyMapping(['readonly'], 'victim', false)
  if (!i.serviceAccounts.get('VICTIMSA')) await addServiceAccount(i, { parent: 'victim', accessKey: 'VICTIMSA', secretKey: 'victimsa-secret-1' })
  if (!i.users.getGroup('grp')) i.users.addMembers('grp', ['victim'])
  i.users.setGroupStatus('grp', 'enabled')
  if (!i.policies.getPolicy('spare')) i.addPolicy('spare', Buffer.from(NARROW_POLICY))
  for (const c of CALLERS) {
    if (c === 'anonymous' || i.serviceAccounts.get(sibling(c))) continue
    await addServiceAccount(i, { parent: ACTING[c], accessKey: sibling(c), secretKey: 'sibling-secret-1' })
  }
}

beforeAll(async () => {
  srv = await startIamServer({ responseAlgorithm: 2 })
  const i = iam()
  i.addPolicy('narrow-bucket1', Buffer.from(NARROW_POLICY))
  i.addPolicy('create-user-only', Buffer.from(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['admin:CreateUser'] }] })))
  await i.addUser('admin', CREDS.admin.secretKey, 'enabled', 'consoleAdmin')
  await i.addUser('narrow', CREDS.narrow.secretKey, 'enabled', 'narrow-bucket1')
  await i.addUser('nopol', CREDS.nopol.secretKey)
  await i.addUser('disabled', CREDS.disabled.secretKey, 'disabled', 'consoleAdmin')
  await i.addUser('creator', 'creator-secret-1', 'enabled', 'create-user-only')
  for (const [c, parent] of [['saRoot', ROOT.accessKey], ['saAdmin', 'admin'], ['saNarrow', 'narrow'], ['saNopol', 'nopol']] as const) {
    await addServiceAccount(i, { parent, accessKey: CREDS[c].accessKey, secretKey: CREDS[c].secretKey })
  }
  await addServiceAccount(i, {
    parent: 'admin', accessKey: 'SAADMINS3', secretKey: 'saadmins3-secret-1',
    policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:*'], Resource: ['arn:aws:s3:::*'] }] },
  })
  const s3 = s3Client(srv, ROOT.accessKey, ROOT.secretKey)
  for (const b of ['bucket1', 'bucket2']) {
    await s3.send(new CreateBucketCommand({ Bucket: b }))
    await s3.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'v' }))
  }
  await reset()
}, 60_000)
afterAll(async () => srv?.close())

const listUsersAs = (creds: Creds) => adminCall(srv, creds, { method: 'GET', path: '/list-users' })

describe('privilege escalation through the admin API', () => {
  it('add-user on oneself with policy consoleAdmin grants nothing: refused without a policy, secret-only with one', async () => {
    const attack = (who: Creds, secretKey: string, extra: object = {}) => adminCall(srv, who, {
      method: 'PUT', path: '/add-user', query: [['accessKey', who.accessKey]], enc: { secretKey, status: 'enabled', policy: 'consoleAdmin', ...extra },
    })
    // The reported attack: a user without any policy. MinIO refuses it every admin call, its own included.
    const bare = await attack(CREDS.nopol, CREDS.nopol.secretKey)
    expect([bare.status, (bare.json as { Code: string }).Code]).toEqual([403, 'AccessDenied'])
    expect(iam().policies.mappedPolicies('nopol', false)).toEqual([])
    expect(outcome(await listUsersAs(CREDS.nopol))).toBe('403 AccessDenied')

    // A user with a policy may change its own secret, and only that: the policy in the body is ignored.
    const fresh = { accessKey: 'narrow', secretKey: 'narrow-secret-2' }
    expect((await attack(CREDS.narrow, fresh.secretKey)).status).toBe(200)
    expect(iam().policies.mappedPolicies('narrow', false)).toEqual(['narrow-bucket1'])
    expect(outcome(await listUsersAs(fresh))).toBe('403 AccessDenied')
    expect(outcome(await listUsersAs(CREDS.narrow))).toBe('403 SignatureDoesNotMatch') // the old secret is gone
    const s3 = s3Client(srv, fresh.accessKey, fresh.secretKey)
    expect((await s3.send(new GetObjectCommand({ Bucket: 'bucket1', Key: 'k' }))).$metadata.httpStatusCode).toBe(200)
    await expect(s3.send(new GetObjectCommand({ Bucket: 'bucket2', Key: 'k' }))).rejects.toMatchObject({ name: 'AccessDenied' })
    // Nor can it disable (or re-enable) itself through the body's status.
    expect((await attack(fresh, CREDS.narrow.secretKey, { status: 'disabled' })).status).toBe(200)
    expect(iam().users.getUser('narrow')?.status).toBe('enabled')
    expect(iam().policies.mappedPolicies('narrow', false)).toEqual(['narrow-bucket1'])
  })

  it('a policy scoped to one bucket by NotAction or `*` grants no admin action: its user cannot make itself consoleAdmin', async () => {
    // Found by an attack: Resource was skipped for every admin request, whatever the statement named.
    const i = iam()
    for (const [name, statement] of [
      ['all-but-delete', { Effect: 'Allow', NotAction: ['s3:DeleteObject'], Resource: ['arn:aws:s3:::bucket1/*'] }],
      ['star-on-bucket', { Effect: 'Allow', Action: ['*'], Resource: ['arn:aws:s3:::bucket1/*'] }],
    ] as const) {
      i.addPolicy(name, Buffer.from(JSON.stringify({ Version: '2012-10-17', Statement: [statement] })))
      const who = { accessKey: `esc-${name}`, secretKey: `esc-${name}-secret` }
      await i.addUser(who.accessKey, who.secretKey, 'enabled', name)
      const attach = await adminCall(srv, who, { method: 'POST', path: '/idp/builtin/policy/attach', enc: { policies: ['consoleAdmin'], user: who.accessKey } })
      expect([name, outcome(attach)]).toEqual([name, '403 AccessDenied'])
      expect(i.policies.mappedPolicies(who.accessKey, false)).toEqual([name])
      const create = await adminCall(srv, who, { method: 'PUT', path: '/add-user', query: [['accessKey', `evil-${name}`]], enc: { secretKey: 'evil-secret-1', status: 'enabled' } })
      expect([name, outcome(create)]).toEqual([name, '403 AccessDenied'])
      expect([name, outcome(await listUsersAs(who))]).toEqual([name, '403 AccessDenied'])
      // What the policy does grant still works.
      const s3 = s3Client(srv, who.accessKey, who.secretKey)
      expect((await s3.send(new GetObjectCommand({ Bucket: 'bucket1', Key: 'k' }))).$metadata.httpStatusCode).toBe(200)
    }
  })

  it('admin calls are decided with the request\'s condition values: a conditioned Deny binds, a conditioned Allow grants', async () => {
    // Found by an attack: admin calls were evaluated with no condition values, so a Deny on aws:SourceIp (or
    // aws:SecureTransport) never applied, and an Allow conditioned on them never granted.
    const i = iam()
    const loopback = { IpAddress: { 'aws:SourceIp': ['127.0.0.0/8', '::1/128'] } }
    i.addPolicy('list-not-from-here', Buffer.from(JSON.stringify({ Version: '2012-10-17', Statement: [
      { Effect: 'Allow', Action: ['admin:ListUsers', 'admin:CreateServiceAccount'] },
      { Effect: 'Deny', Action: ['admin:*'], Condition: loopback },
    ] })))
    i.addPolicy('list-only-from-here', Buffer.from(JSON.stringify({ Version: '2012-10-17', Statement: [
      { Effect: 'Allow', Action: ['admin:ListUsers'], Condition: loopback },
    ] })))
    const denied = { accessKey: 'cond-denied', secretKey: 'cond-denied-secret' }
    const allowed = { accessKey: 'cond-allowed', secretKey: 'cond-allowed-secret' }
    await i.addUser(denied.accessKey, denied.secretKey, 'enabled', 'list-not-from-here')
    await i.addUser(allowed.accessKey, allowed.secretKey, 'enabled', 'list-only-from-here')
    expect(outcome(await listUsersAs(denied))).toBe('403 AccessDenied')
    const mint = await adminCall(srv, denied, { method: 'PUT', path: '/add-service-account', enc: { accessKey: 'CONDSA', secretKey: 'condsa-secret-1' } })
    expect(outcome(mint)).toBe('403 AccessDenied')
    expect(outcome(await listUsersAs(allowed))).toBe('200')
  })

  it('a service account of a disabled user is refused, its self-service routes included, until the user is enabled', async () => {
    // Found by an attack: the parent was refused, but its service account still listed, read and deleted its siblings.
    const i = iam()
    await i.addUser('parked', 'parked-secret-1', 'enabled', 'narrow-bucket1')
    for (const key of ['PARKEDSA1', 'PARKEDSA2']) await addServiceAccount(i, { parent: 'parked', accessKey: key, secretKey: `${key.toLowerCase()}-secret` })
    const sa = { accessKey: 'PARKEDSA1', secretKey: 'parkedsa1-secret' }
    const listOwn = () => adminCall(srv, sa, { method: 'GET', path: '/list-service-accounts' })
    expect(outcome(await listOwn())).toBe('200')
    i.users.setUserStatus('parked', 'disabled')
    expect(outcome(await listOwn())).toBe('403 InvalidAccessKeyId')
    const drop = await adminCall(srv, sa, { method: 'DELETE', path: '/delete-service-account', query: [['accessKey', 'PARKEDSA2']] })
    expect(outcome(drop)).toBe('403 InvalidAccessKeyId')
    expect(i.serviceAccounts.get('PARKEDSA2')).toBeDefined()
    await expect(s3Client(srv, sa.accessKey, sa.secretKey).send(new GetObjectCommand({ Bucket: 'bucket1', Key: 'k' }))).rejects.toMatchObject({ name: 'InvalidAccessKeyId' })
    i.users.setUserStatus('parked', 'enabled')
    expect(outcome(await listOwn())).toBe('200')
  })

  it('admin:CreateUser alone cannot create a user with a policy, and a service account cannot reset its parent', async () => {
    const creator = { accessKey: 'creator', secretKey: 'creator-secret-1' }
    const withPolicy = await adminCall(srv, creator, { method: 'PUT', path: '/add-user', query: [['accessKey', 'sidekick']], enc: { secretKey: 'sidekick-secret', status: 'enabled', policy: 'consoleAdmin' } })
    expect(outcome(withPolicy)).toBe('403 AccessDenied')
    expect(iam().users.getUser('sidekick')).toBeUndefined()
    const plain = await adminCall(srv, creator, { method: 'PUT', path: '/add-user', query: [['accessKey', 'sidekick']], enc: { secretKey: 'sidekick-secret', status: 'enabled' } })
    expect(plain.status).toBe(200)
    expect(iam().policies.mappedPolicies('sidekick', false)).toEqual([])

    const parentReset = await adminCall(srv, CREDS.saAdmin, { method: 'PUT', path: '/add-user', query: [['accessKey', 'admin']], enc: { secretKey: 'taken-over-1', status: 'enabled' } })
    expect(outcome(parentReset)).toBe('403 XMinioInvalidIAMCredentials')
    expect(outcome(await listUsersAs(CREDS.admin))).toBe('200')
  })

  it('a service account restricted by a session policy cannot mint an unrestricted sibling or widen itself (minio#21642)', async () => {
    const restricted = { accessKey: 'SAADMINS3', secretKey: 'saadmins3-secret-1' }
    const mint = await adminCall(srv, restricted, { method: 'PUT', path: '/add-service-account', enc: { accessKey: 'NEWROOTISH', secretKey: 'newrootish-secret' } })
    expect(outcome(mint)).toBe('403 AccessDenied')
    expect(iam().serviceAccounts.get('NEWROOTISH')).toBeUndefined()
    const widen = await adminCall(srv, restricted, { method: 'POST', path: '/update-service-account', query: [['accessKey', 'SAADMINS3']], enc: { newPolicy: null } })
    expect(outcome(widen)).toBe('403 AccessDenied')
    expect(iam().serviceAccounts.get('SAADMINS3')?.sessionPolicy).not.toBeNull()
    expect(outcome(await listUsersAs(restricted))).toBe('403 AccessDenied')
  })
})

// ---- the matrix ------------------------------------------------------------------------------
// Columns: root, admin (consoleAdmin), narrow (s3:* on bucket1), nopol (no policy), their service
// accounts (saRoot, saAdmin, saNarrow, saNopol), a disabled consoleAdmin user, anonymous.
const D = '403 AccessDenied'
const X = '403 InvalidAccessKeyId'
const admins = (ok: string, denied = D): string[] => [ok, ok, denied, denied, ok, ok, denied, denied, X, D]

interface Case {
  name: string
  call: (c: Caller) => AdminCall
  expect: string[]
}

const own = (c: Caller): string => (c === 'anonymous' ? 'anonymous' : CREDS[c].accessKey)
const CASES: Case[] = [
  { name: 'PUT /add-user (new user)', call: (c) => ({ method: 'PUT', path: '/add-user', query: [['accessKey', `new-${c}`]], enc: { secretKey: 'new-user-secret', status: 'enabled' } }), expect: admins('200') },
  {
    name: 'PUT /add-user (itself, policy consoleAdmin)',
    call: (c) => ({ method: 'PUT', path: '/add-user', query: [['accessKey', own(c)]], enc: { secretKey: c === 'anonymous' ? 'whatever-1' : CREDS[c].secretKey, status: 'enabled', policy: 'consoleAdmin' } }),
    expect: ['403 XMinioInvalidIAMCredentials', '200', '200', D, '403 XMinioInvalidIAMCredentials', '403 XMinioInvalidIAMCredentials', D, D, X, D],
  },
  { name: 'PUT /set-user-status', call: () => ({ method: 'PUT', path: '/set-user-status', query: [['accessKey', 'victim'], ['status', 'disabled']] }), expect: admins('200') },
  { name: 'DELETE /remove-user', call: () => ({ method: 'DELETE', path: '/remove-user', query: [['accessKey', 'victim']] }), expect: admins('200') },
  { name: 'GET /list-users', call: () => ({ method: 'GET', path: '/list-users' }), expect: admins('200') },
  {
    name: 'GET /user-info (itself)', call: (c) => ({ method: 'GET', path: '/user-info', query: [['accessKey', own(c)]] }),
    expect: ['404 XMinioAdminNoSuchUser', '200', '200', D, '403 XMinioIAMActionNotAllowed', '403 XMinioIAMActionNotAllowed', D, D, X, D],
  },
  { name: 'GET /user-info (another user)', call: () => ({ method: 'GET', path: '/user-info', query: [['accessKey', 'victim']] }), expect: admins('200') },
  { name: 'PUT /add-canned-policy', call: (c) => ({ method: 'PUT', path: '/add-canned-policy', query: [['name', `p-${c}`]], plain: NARROW_POLICY }), expect: admins('200') },
  { name: 'GET /info-canned-policy', call: () => ({ method: 'GET', path: '/info-canned-policy', query: [['name', 'readonly']] }), expect: admins('200') },
  { name: 'GET /list-canned-policies', call: () => ({ method: 'GET', path: '/list-canned-policies' }), expect: admins('200') },
  { name: 'DELETE /remove-canned-policy', call: () => ({ method: 'DELETE', path: '/remove-canned-policy', query: [['name', 'spare']] }), expect: admins('200') },
  { name: 'PUT /set-user-or-group-policy', call: () => ({ method: 'PUT', path: '/set-user-or-group-policy', query: [['policyName', 'consoleAdmin'], ['userOrGroup', 'victim'], ['isGroup', 'false']] }), expect: admins('200') },
  { name: 'POST /idp/builtin/policy/attach', call: () => ({ method: 'POST', path: '/idp/builtin/policy/attach', enc: { policies: ['consoleAdmin'], user: 'victim' } }), expect: admins('200') },
  { name: 'POST /idp/builtin/policy/detach', call: () => ({ method: 'POST', path: '/idp/builtin/policy/detach', enc: { policies: ['readonly'], user: 'victim' } }), expect: admins('200') },
  { name: 'GET /idp/builtin/policy-entities', call: () => ({ method: 'GET', path: '/idp/builtin/policy-entities' }), expect: admins('200') },
  { name: 'PUT /update-group-members', call: (c) => ({ method: 'PUT', path: '/update-group-members', plain: JSON.stringify({ group: `g-${c}`, members: ['victim'], isRemove: false }) }), expect: admins('200') },
  { name: 'GET /group', call: () => ({ method: 'GET', path: '/group', query: [['group', 'grp']] }), expect: admins('200') },
  { name: 'GET /groups', call: () => ({ method: 'GET', path: '/groups' }), expect: admins('200') },
  { name: 'PUT /set-group-status', call: () => ({ method: 'PUT', path: '/set-group-status', query: [['group', 'grp'], ['status', 'disabled']] }), expect: admins('200') },
  // For oneself unless denied; a user without policies (and its service accounts) has nothing to not deny.
  { name: 'PUT /add-service-account (for itself)', call: () => ({ method: 'PUT', path: '/add-service-account', enc: {} }), expect: ['200', '200', '200', D, '200', '200', '200', D, X, D] },
  { name: 'PUT /add-service-account (for another user)', call: () => ({ method: 'PUT', path: '/add-service-account', enc: { targetUser: 'victim' } }), expect: admins('200') },
  // MinIO lets no one edit service accounts without admin:UpdateServiceAccount, not even their own.
  { name: 'POST /update-service-account (own)', call: (c) => ({ method: 'POST', path: '/update-service-account', query: [['accessKey', sibling(c)]], enc: { newName: 'renamed' } }), expect: admins('204') },
  { name: 'POST /update-service-account (another user\'s)', call: () => ({ method: 'POST', path: '/update-service-account', query: [['accessKey', 'VICTIMSA']], enc: { newName: 'renamed' } }), expect: admins('204') },
  // Owning the account suffices for info, list and delete, as in MinIO.
  { name: 'GET /info-service-account (own)', call: (c) => ({ method: 'GET', path: '/info-service-account', query: [['accessKey', sibling(c)]] }), expect: ['200', '200', '200', '200', '200', '200', '200', '200', X, D] },
  { name: 'GET /info-service-account (another user\'s)', call: () => ({ method: 'GET', path: '/info-service-account', query: [['accessKey', 'VICTIMSA']] }), expect: admins('200') },
  { name: 'GET /list-service-accounts (own)', call: () => ({ method: 'GET', path: '/list-service-accounts' }), expect: ['200', '200', '200', '200', '200', '200', '200', '200', X, D] },
  { name: 'GET /list-service-accounts (another user\'s)', call: () => ({ method: 'GET', path: '/list-service-accounts', query: [['user', 'victim']] }), expect: admins('200') },
  { name: 'DELETE /delete-service-account (own)', call: (c) => ({ method: 'DELETE', path: '/delete-service-account', query: [['accessKey', sibling(c)]] }), expect: ['204', '204', '204', '204', '204', '204', '204', '204', X, D] },
  // Another user's account is "not found" to a caller without the action (MinIO hides it).
  { name: 'DELETE /delete-service-account (another user\'s)', call: () => ({ method: 'DELETE', path: '/delete-service-account', query: [['accessKey', 'VICTIMSA']] }), expect: admins('204', '404 XMinioAdminNoSuchServiceAccount') },
]

describe('admin endpoint × caller matrix', () => {
  it('covers every route of the admin router, each naming its admin:* actions', () => {
    for (const r of ROUTES) expect(r.actions.length > 0 && r.actions.every((a) => a.startsWith('admin:')), r.path).toBe(true)
    const covered = new Set(CASES.map((c) => c.name.split(' (')[0]))
    expect([...new Set(ROUTES.map((r) => `${r.method.toUpperCase()} ${r.path}`))].filter((r) => !covered.has(r))).toEqual([])
  })

  for (const c of CASES) {
    it(c.name, async () => {
      const got: Record<string, string> = {}
      for (const caller of CALLERS) {
        await reset()
        got[caller] = outcome(await callAs(caller, c.call(caller)))
      }
      expect(got).toEqual(Object.fromEntries(CALLERS.map((caller, i) => [caller, c.expect[i]])))
    }, 60_000)
  }
})

describe('GET /minio/admin/v3/info (served beside the router table, by ops/admin-info.ts)', () => {
  it('answers only callers allowed admin:ServerInfo', async () => {
    const got: Record<string, number> = {}
    for (const c of CALLERS) got[c] = (await callAs(c, { method: 'GET', path: '/info' })).status
    const allowed = (c: Caller) => ['root', 'admin', 'saRoot', 'saAdmin'].includes(c)
    for (const c of CALLERS) expect([c, got[c]! < 300]).toEqual([c, allowed(c)])
    for (const c of CALLERS) if (!allowed(c)) expect([c, got[c]]).toEqual([c, 403])
  })
})
