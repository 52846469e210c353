import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decryptMadminData, encryptMadminData } from '../../../src/s3/admin/madmin-crypto.js'
import { adminCall, ROOT, startIamServer, type IamServer } from './helpers.js'

let srv: IamServer
beforeAll(async () => {
  srv = await startIamServer()
})
afterAll(async () => srv?.close())

const errOf = (a: { status: number; json?: unknown }) => ({ status: a.status, ...(a.json as { Code: string; Message: string }) })
const addUser = (name: string, secret: string) =>
  adminCall(srv, ROOT, { method: 'PUT', path: '/add-user', query: [['accessKey', name]], enc: { secretKey: secret, status: 'enabled' } })

describe('admin API: shapes, errors and bad input', () => {
  it('serves canned policies exactly, 1-space indented, and PolicyInfo with v=2', async () => {
    const info = await adminCall(srv, ROOT, { method: 'GET', path: '/info-canned-policy', query: [['name', 'writeonly']] })
    expect(info.status).toBe(200)
    expect(info.body.toString()).toBe(JSON.stringify(JSON.parse('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject"],"Resource":["arn:aws:s3:::*"]}]}'), null, 1))
    const v2 = await adminCall(srv, ROOT, { method: 'GET', path: '/info-canned-policy', query: [['name', 'consoleAdmin'], ['v', '2']] })
    expect(v2.json).toMatchObject({ PolicyName: 'consoleAdmin', Policy: { Statement: [{ Action: ['admin:*'] }, { Action: ['kms:*'] }, { Action: ['s3:*'] }] } })
    const missing = await adminCall(srv, ROOT, { method: 'GET', path: '/info-canned-policy', query: [['name', 'nope']] })
    expect(errOf(missing)).toMatchObject({ status: 404, Code: 'XMinioAdminNoSuchPolicy', Message: 'The canned policy does not exist.' })
  })

  it('rejects malformed, empty, versionless and oversized policies precisely and stores nothing', async () => {
    const put = (name: string, body: string | Buffer) => adminCall(srv, ROOT, { method: 'PUT', path: '/add-canned-policy', query: [['name', name]], plain: body })
    expect(errOf(await put('p1', '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"bucket/*"}]}')))
      .toMatchObject({ status: 400, Code: 'MalformedPolicy', Message: "Statement[0]: invalid resource 'bucket/*'" })
    expect(errOf(await put('p1', '{"Statement":[]}'))).toMatchObject({ status: 400, Code: 'MalformedPolicy', Message: "invalid version ''" })
    expect(errOf(await put('p1', ''))).toMatchObject({ status: 400, Code: 'MalformedPolicy' })
    expect(errOf(await put('p1', 'not json'))).toMatchObject({ status: 400, Code: 'MalformedPolicy' })
    expect(errOf(await put('p1', Buffer.alloc(21 * 1024, 0x20)))).toMatchObject({ status: 400, Code: 'PolicyTooLarge' })
    expect(errOf(await put('readonly', '{"Version":"2012-10-17","Statement":[]}'))).toMatchObject({ status: 403, Code: 'XMinioIAMActionNotAllowed' })
    const list = await adminCall(srv, ROOT, { method: 'GET', path: '/list-canned-policies' })
    expect(Object.keys(list.json as object).sort()).toEqual(['consoleAdmin', 'diagnostics', 'readonly', 'readwrite', 'writeonly'])
  })

  it('answers unknown admin calls with a JSON error', async () => {
    const r = await adminCall(srv, ROOT, { method: 'GET', path: '/no-such-call' })
    expect(errOf(r)).toMatchObject({ status: 400, Code: 'XMinioUnknownAPIRequest', Message: 'Unknown API request at /minio/admin/v3/no-such-call' })
    const wrongMethod = await adminCall(srv, ROOT, { method: 'POST', path: '/list-users' })
    expect(errOf(wrongMethod)).toMatchObject({ status: 400, Code: 'XMinioUnknownAPIRequest' })
  })

  it('answers unknown users, groups and accounts with MinIO codes', async () => {
    expect(errOf(await adminCall(srv, ROOT, { method: 'GET', path: '/user-info', query: [['accessKey', 'ghost']] })))
      .toMatchObject({ status: 404, Code: 'XMinioAdminNoSuchUser', Message: 'The specified user does not exist.' })
    expect(errOf(await adminCall(srv, ROOT, { method: 'DELETE', path: '/remove-user', query: [['accessKey', 'ghost']] }))).toMatchObject({ status: 404 })
    expect(errOf(await adminCall(srv, ROOT, { method: 'GET', path: '/group', query: [['group', 'ghosts']] }))).toMatchObject({ status: 404, Code: 'XMinioAdminNoSuchGroup' })
    expect(errOf(await adminCall(srv, ROOT, { method: 'GET', path: '/info-service-account', query: [['accessKey', 'NOPE']] }))).toMatchObject({ status: 404, Code: 'XMinioAdminNoSuchServiceAccount' })
    expect(errOf(await adminCall(srv, ROOT, { method: 'POST', path: '/idp/builtin/policy/attach', enc: { policies: ['readonly'], user: 'ghost' } }))).toMatchObject({ status: 404, Code: 'XMinioAdminNoSuchUser' })
    expect(errOf(await adminCall(srv, ROOT, { method: 'PUT', path: '/set-user-or-group-policy', query: [['policyName', 'nosuch'], ['userOrGroup', 'ghost'], ['isGroup', 'false']] }))).toMatchObject({ status: 404 })
  })

  it('rejects short secrets, bad keys, garbage bodies and bodies sealed with another secret', async () => {
    expect(errOf(await addUser('frank', 'short'))).toMatchObject({ status: 400, Code: 'XMinioAdminInvalidSecretKey' })
    expect(errOf(await addUser('fr', 'long-enough'))).toMatchObject({ status: 400, Code: 'XMinioAdminInvalidAccessKey' })
    expect(errOf(await addUser(ROOT.accessKey, 'long-enough'))).toMatchObject({ status: 403, Code: 'XMinioInvalidIAMCredentials' })
    const garbage = await adminCall(srv, ROOT, { method: 'PUT', path: '/add-user', query: [['accessKey', 'frank']], plain: 'not encrypted at all, not at all' })
    expect(errOf(garbage)).toMatchObject({ status: 400, Code: 'XMinioAdminConfigBadJSON' })
    const otherSecret = await encryptMadminData('someone-elses-secret', Buffer.from('{"secretKey":"frank-secret","status":"enabled"}'), 2)
    expect(errOf(await adminCall(srv, ROOT, { method: 'PUT', path: '/add-user', query: [['accessKey', 'frank']], plain: otherSecret })))
      .toMatchObject({ status: 400, Code: 'XMinioAdminConfigBadJSON' })
    const users = await adminCall(srv, ROOT, { method: 'GET', path: '/list-users', decrypt: true })
    expect(users.json).not.toHaveProperty('frank')
  })

  it('refuses brute-forced secrets every time and lets the right one through', async () => {
    await addUser('grace', 'grace-secret-ok')
    const tries = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      adminCall(srv, { accessKey: 'grace', secretKey: `guess-${i}-xxxx` }, { method: 'GET', path: '/user-info', query: [['accessKey', 'grace']] })))
    for (const t of tries) expect(errOf(t)).toMatchObject({ status: 403, Code: 'SignatureDoesNotMatch' })
    const readOwn = () => adminCall(srv, { accessKey: 'grace', secretKey: 'grace-secret-ok' }, { method: 'GET', path: '/user-info', query: [['accessKey', 'grace']] })
    expect(errOf(await readOwn())).toMatchObject({ status: 403, Code: 'AccessDenied' }) // MinIO: a user without any policy is refused even its own info
    srv.hooks.iam.setPolicyMapping(['readonly'], 'grace', false)
    expect((await readOwn()).status).toBe(200) // a user with a policy may read its own info
    const other = await adminCall(srv, { accessKey: 'grace', secretKey: 'grace-secret-ok' }, { method: 'GET', path: '/list-users' })
    expect(errOf(other)).toMatchObject({ status: 403, Code: 'AccessDenied' })
    const unknown = await adminCall(srv, { accessKey: 'nobody', secretKey: 'whatever-123' }, { method: 'GET', path: '/list-users' })
    expect(errOf(unknown)).toMatchObject({ status: 403, Code: 'InvalidAccessKeyId' })
  })

  it('lets users manage their own service accounts, with v3 list shapes, expiry bounds and admin:* checks', async () => {
    await addUser('heidi', 'heidi-secret-ok')
    srv.hooks.iam.setPolicyMapping(['readonly'], 'heidi', false) // MinIO refuses every admin call to a user without policies
    const heidi = { accessKey: 'heidi', secretKey: 'heidi-secret-ok' }
    const soon = await adminCall(srv, heidi, { method: 'PUT', path: '/add-service-account', enc: { expiration: new Date(Date.now() + 60_000).toISOString() } })
    expect(errOf(soon)).toMatchObject({ status: 400, Code: 'XMinioAdminInvalidArgument' })
    const expiry = new Date(Date.now() + 3600_000)
    const made = await adminCall(srv, heidi, { method: 'PUT', path: '/add-service-account', enc: { name: 'ci-job', description: 'CI', expiration: expiry.toISOString() }, decrypt: true })
    expect(made.status).toBe(200)
    const key = (made.json as { credentials: { accessKey: string; expiration: string } }).credentials
    expect(Date.parse(key.expiration)).toBe(Math.floor(expiry.getTime()))
    const list = await adminCall(srv, heidi, { method: 'GET', path: '/list-service-accounts', decrypt: true })
    expect(list.json).toEqual({ accounts: [{ parentUser: 'heidi', accountStatus: 'on', impliedPolicy: true, accessKey: key.accessKey, name: 'ci-job', description: 'CI', expiration: key.expiration }] })
    const forOther = await adminCall(srv, heidi, { method: 'PUT', path: '/add-service-account', enc: { targetUser: 'grace' } })
    expect(errOf(forOther)).toMatchObject({ status: 403, Code: 'AccessDenied' })
    const taken = await adminCall(srv, ROOT, { method: 'PUT', path: '/add-service-account', enc: { targetUser: 'heidi', accessKey: 'grace', secretKey: 'abcdefgh1' } })
    expect(errOf(taken)).toMatchObject({ status: 400, Code: 'XMinioAdminInvalidArgument' })
    const ownEdit = await adminCall(srv, heidi, { method: 'POST', path: '/update-service-account', query: [['accessKey', key.accessKey]], enc: { newName: 'renamed' } })
    expect(errOf(ownEdit)).toMatchObject({ status: 403, Code: 'AccessDenied' }) // MinIO: editing needs admin:UpdateServiceAccount, even one's own
    const edit = await adminCall(srv, ROOT, { method: 'POST', path: '/update-service-account', query: [['accessKey', key.accessKey]], enc: { newName: 'renamed', newStatus: 'maybe' } })
    expect(errOf(edit)).toMatchObject({ status: 400, Code: 'XMinioAdminInvalidArgument' })
    const info = await adminCall(srv, heidi, { method: 'GET', path: '/info-service-account', query: [['accessKey', key.accessKey]], decrypt: true })
    expect(info.json).toMatchObject({ name: 'ci-job', accountStatus: 'on' }) // the failed edits changed nothing
    const raw = await adminCall(srv, heidi, { method: 'GET', path: '/list-service-accounts' })
    expect(JSON.parse((await decryptMadminData('heidi-secret-ok', raw.body)).toString())).toHaveProperty('accounts')
  })

  it('manages groups: members must exist, non-empty groups are not removed, disabled groups grant nothing', async () => {
    await addUser('ivan', 'ivan-secret-ok')
    const members = (body: object) => adminCall(srv, ROOT, { method: 'PUT', path: '/update-group-members', plain: JSON.stringify(body) })
    expect(errOf(await members({ group: 'ops', members: ['ivan', 'ghost'], isRemove: false }))).toMatchObject({ status: 404, Code: 'XMinioAdminNoSuchUser' })
    expect(errOf(await adminCall(srv, ROOT, { method: 'GET', path: '/group', query: [['group', 'ops']] }))).toMatchObject({ status: 404 })
    expect((await members({ group: 'ops', members: ['ivan'], isRemove: false })).status).toBe(200)
    expect(errOf(await members({ group: 'ops', members: [], isRemove: true }))).toMatchObject({ status: 400, Code: 'XMinioAdminGroupNotEmpty' })
    expect((await adminCall(srv, ROOT, { method: 'PUT', path: '/set-group-status', query: [['group', 'ops'], ['status', 'disabled']] })).status).toBe(200)
    expect((await adminCall(srv, ROOT, { method: 'GET', path: '/group', query: [['group', 'ops']] })).json).toMatchObject({ status: 'disabled', members: ['ivan'] })
    expect(errOf(await members({ group: 'ops', members: 'ivan' }))).toMatchObject({ status: 400 })
    expect(errOf(await adminCall(srv, ROOT, { method: 'PUT', path: '/update-group-members', plain: '{broken' }))).toMatchObject({ status: 400, Code: 'XMinioAdminConfigBadJSON' })
  })
})
