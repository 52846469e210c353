import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { IamAccess } from '../../../src/s3/iam/authorizer.js'
import { IamError } from '../../../src/s3/iam/errors.js'
import { Iam } from '../../../src/s3/iam/iam.js'
import { addServiceAccount, updateServiceAccount } from '../../../src/s3/iam/service-accounts.js'
import type { Principal } from '../../../src/s3/extensions.js'

let dir: string
let iam: Iam
let access: IamAccess
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'keyhold-iam-'))
  iam = new Iam({ dataDir: dir, rootUser: 'rootadmin', rootPassword: 'rootpassword' })
  access = new IamAccess(iam)
})
afterEach(() => {
  iam.close()
  rmSync(dir, { recursive: true, force: true })
})

const can = async (accessKey: string, action: string, bucket?: string, key?: string): Promise<boolean> => {
  const cred = await access.lookup(accessKey)
  if (!cred || cred.disabled) return false
  return access.authorize({ principal: cred.principal, action: action as never, ...(bucket ? { bucket } : {}), ...(key ? { key } : {}), conditions: {} })
}
const code = async (p: Promise<unknown> | (() => unknown)): Promise<string> => {
  try {
    await (typeof p === 'function' ? p() : p)
  } catch (err) {
    if (err instanceof IamError) return err.code
    throw err
  }
  return 'none'
}

describe('IAM store and evaluation', () => {
  it('runs the seed scenario: readonly alice, a bucket-limited service account, disable, remove', async () => {
    await iam.addUser('alice', 'alice-secret-1')
    expect(await can('alice', 's3:GetObject', 'b1', 'k')).toBe(false) // no policy yet
    iam.attach(['readonly'], 'alice', false)
    expect(await can('alice', 's3:GetObject', 'b1', 'k')).toBe(true)
    expect(await can('alice', 's3:PutObject', 'b1', 'k')).toBe(false)
    expect(await can('alice', 's3:DeleteObject', 'b1', 'k')).toBe(false)
    const onlyB1 = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: ['arn:aws:s3:::b1/*'] }] }
    const { record, secretKey } = await addServiceAccount(iam, { parent: 'alice', policy: onlyB1, name: 'reader' })
    expect(record.accessKey).toMatch(/^[0-9A-Z]{20}$/)
    expect(secretKey).toHaveLength(40)
    expect((await access.lookup(record.accessKey))?.secretKey).toBe(secretKey)
    expect(await can(record.accessKey, 's3:GetObject', 'b1', 'k')).toBe(true)
    expect(await can(record.accessKey, 's3:GetObject', 'b2', 'k')).toBe(false)
    expect(await can(record.accessKey, 's3:PutObject', 'b1', 'k')).toBe(false) // intersection with readonly
    const cred = (await access.lookup(record.accessKey))!
    await updateServiceAccount(iam, record.accessKey, { newStatus: 'off' })
    expect((await access.lookup(record.accessKey))?.disabled).toBe(true)
    expect(await access.authorize({ principal: cred.principal, action: 's3:GetObject', bucket: 'b1', key: 'k', conditions: {} })).toBe(false)
    await updateServiceAccount(iam, record.accessKey, { newStatus: 'on' })
    iam.serviceAccounts.delete(record.accessKey)
    expect(await access.lookup(record.accessKey)).toBeUndefined()
    expect(await access.authorize({ principal: cred.principal, action: 's3:GetObject', bucket: 'b1', key: 'k', conditions: {} })).toBe(false)
  })

  it('unions enabled groups, ignores disabled ones, and inherits for service accounts', async () => {
    await iam.addUser('bob', 'bob-secret-1')
    iam.users.addMembers('writers', ['bob'])
    iam.attach(['writeonly'], 'writers', true)
    expect(await can('bob', 's3:PutObject', 'x', 'k')).toBe(true)
    const { record } = await addServiceAccount(iam, { parent: 'bob' })
    expect(await can(record.accessKey, 's3:PutObject', 'x', 'k')).toBe(true)
    iam.users.setGroupStatus('writers', 'disabled')
    expect(await can('bob', 's3:PutObject', 'x', 'k')).toBe(false)
    expect(await can(record.accessKey, 's3:PutObject', 'x', 'k')).toBe(false)
    iam.users.setUserStatus('bob', 'disabled')
    expect((await access.lookup('bob'))?.disabled).toBe(true)
  })

  it('root is the owner; a root service account with a session policy is limited by it', async () => {
    expect(await can('rootadmin', 'admin:CreateUser')).toBe(true)
    const { record } = await addServiceAccount(iam, { parent: 'rootadmin', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::*' }] } })
    expect(await can(record.accessKey, 's3:GetObject', 'b', 'k')).toBe(true)
    expect(await can(record.accessKey, 'admin:CreateUser')).toBe(false)
  })

  it('rejects bad input with clear errors and writes nothing', async () => {
    expect(await code(iam.addUser('al', 'longenough'))).toBe('XMinioAdminInvalidAccessKey')
    expect(await code(iam.addUser('carol', 'short'))).toBe('XMinioAdminInvalidSecretKey')
    expect(await code(iam.addUser('rootadmin', 'longenough'))).toBe('XMinioInvalidIAMCredentials')
    expect(await code(iam.addUser('carol', 'longenough', 'enabled', 'readonly,nosuch'))).toBe('XMinioAdminNoSuchPolicy')
    expect(iam.users.getUser('carol')).toBeUndefined()
    expect(await code(() => iam.users.addMembers('g', ['ghost']))).toBe('XMinioAdminNoSuchUser')
    expect(iam.users.getGroup('g')).toBeUndefined()
    expect(await code(() => iam.attach(['readonly'], 'ghost', false))).toBe('XMinioAdminNoSuchUser')
    expect(await code(() => iam.addPolicy('p', Buffer.from('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListObjects","Resource":"arn:aws:s3:::*"}]}')))).toBe('MalformedPolicy')
    expect(await code(() => iam.addPolicy('p', Buffer.alloc(20 * 1024 + 1, 32)))).toBe('PolicyTooLarge')
    expect(iam.policies.getPolicy('p')).toBeUndefined()
    expect(await code(addServiceAccount(iam, { parent: 'ghost' }))).toBe('XMinioAdminNoSuchUser')
    await iam.addUser('dave', 'dave-secret')
    const soon = new Date(Date.now() + 60_000).toISOString()
    expect(await code(addServiceAccount(iam, { parent: 'dave', expiration: soon }))).toBe('XMinioAdminInvalidArgument')
    expect(await code(addServiceAccount(iam, { parent: 'dave', name: '9bad' }))).toBe('XMinioAdminInvalidArgument')
    expect(await code(addServiceAccount(iam, { parent: 'dave', accessKey: 'dave' }))).toBe('XMinioAdminInvalidArgument')
    expect(await code(addServiceAccount(iam, { parent: 'dave', policy: { Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: 'x' }] } }))).toBe('MalformedPolicy')
    expect(await code(addServiceAccount(iam, { parent: 'dave', policy: { Version: '2012-10-17', Statement: Array(80).fill({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::*' }) } }))).toBe('PolicyTooLarge')
    expect(iam.serviceAccounts.list()).toEqual([])
  })

  it('expires service accounts and removes them with their user', async () => {
    await iam.addUser('erin', 'erin-secret')
    iam.attach(['readwrite'], 'erin', false)
    const { record } = await addServiceAccount(iam, { parent: 'erin', expiration: new Date(Date.now() + 20 * 60_000).toISOString() })
    expect(await access.lookup(record.accessKey)).toBeDefined()
    iam.db.prepare('UPDATE service_accounts SET expiration = ? WHERE access_key = ?').run(Date.now() - 1, record.accessKey)
    expect(await access.lookup(record.accessKey)).toBeUndefined()
    const p: Principal = { kind: 'service-account', accessKey: record.accessKey, parentUser: 'erin', claims: { parent: 'erin' } }
    expect(access.isAllowed(p, { action: 's3:GetObject', bucket: 'b', object: 'k', conditions: {} })).toBe(false)
    iam.users.removeUser('erin')
    expect(iam.serviceAccounts.list('erin')).toEqual([])
  })

  it('anonymous requests follow the bucket policy only', () => {
    const policies: Record<string, string> = {
      pub: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: ['*'] }, Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::pub/*'] }] }),
    }
    access.useBucketPolicies((b) => policies[b])
    expect(access.isAllowed(null, { action: 's3:GetObject', bucket: 'pub', object: 'a', conditions: {} })).toBe(true)
    expect(access.isAllowed(null, { action: 's3:PutObject', bucket: 'pub', object: 'a', conditions: {} })).toBe(false)
    expect(access.isAllowed(null, { action: 's3:GetObject', bucket: 'priv', object: 'a', conditions: {} })).toBe(false)
  })
})
