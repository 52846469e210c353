/**
 * What MinIO's KMS admin endpoints ask the authorizer (found by an attack: every call was asked with no key and
 * no condition values, so `arn:minio:kms:::<key>` statements and conditioned Denies never applied): the key a
 * call names, and the request's aws:* values. A real Express app on a loopback port; the authorizer records.
 */
import { once } from 'node:events'
import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuthzRequest, ExtensionContext } from '../../src/s3/extensions.js'
import type { Kms } from '../../src/s3/kms/kms.js'
import { kmsAdminRoutes } from '../../src/s3/kms/admin-router.js'
import { isAllowed, parsePolicy } from '../../src/s3/iam/policy/index.js'

const asked: AuthzRequest[] = []
// Allows kms:* except creating or reading the status of prod-* keys, as the attack's policy did.
const policy = parsePolicy(JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: ['kms:*'] },
    { Effect: 'Deny', Action: ['kms:CreateKey', 'kms:KeyStatus', 'kms:ListKeys'], Resource: ['arn:minio:kms:::prod-*'] },
    { Effect: 'Deny', Action: ['kms:Status'], Condition: { IpAddress: { 'aws:SourceIp': ['127.0.0.0/8', '::1/128'] } } },
  ],
}))
const ctx = {
  authenticate: async () => ({ credential: { principal: { kind: 'user', accessKey: 'kim' } } }),
  authorizer: {
    authorize: async (q: AuthzRequest) => {
      asked.push(q)
      return isAllowed(policy, { action: q.action, ...(q.key !== undefined ? { object: q.key } : {}), conditions: q.conditions })
    },
  },
} as unknown as ExtensionContext
const kms = {
  defaultKey: 'prod-default',
  status: async () => ({}), keyStatus: async (id: string) => ({ 'key-id': id }), createKey: async () => undefined,
  listKeys: async () => ['app-cache', 'prod-db', 'app-db', 'prod-default'],
} as unknown as Kms

let base = ''
let close: () => void = () => {}
beforeAll(async () => {
  const app = express()
  for (const route of kmsAdminRoutes({ kms })) app.use(route.prefix, route.router(ctx))
  const server = app.listen(0, '127.0.0.1')
  await once(server, 'listening')
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  close = () => server.close()
})
afterAll(() => close())

const answer = (method: string, path: string) => new Promise<{ status: number; body: string }>((resolve, reject) => {
  const req = request(`${base}${path}`, { method }, (res) => {
    let body = ''
    res.on('data', (c: Buffer) => (body += c.toString()))
    res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
  })
  req.on('error', reject)
  req.end()
})
const call = async (method: string, path: string) => (await answer(method, path)).status

describe('KMS admin endpoints ask for the key and the request\'s conditions', () => {
  it('a Deny scoped to prod-* keys applies to those keys only', async () => {
    expect(await call('POST', '/minio/kms/v1/key/create?key-id=prod-db')).toBe(403)
    expect(await call('GET', '/minio/kms/v1/key/status?key-id=prod-db')).toBe(403)
    expect(await call('POST', '/minio/kms/v1/key/create?key-id=app-db')).toBe(200)
    expect(await call('GET', '/minio/kms/v1/key/status?key-id=app-db')).toBe(200)
    expect(asked.filter((q) => (q.action as string) === 'kms:CreateKey').map((q) => q.key)).toEqual(['prod-db', 'app-db'])
  })

  it('an empty key-id is decided as the default key it stands for', async () => {
    expect(await call('GET', '/minio/kms/v1/key/status')).toBe(403)
    expect(await call('GET', '/minio/admin/v3/kms/key/status?key-id=')).toBe(403)
  })

  it('the key listing shows only the keys the caller may list', async () => {
    const listed = await answer('GET', '/minio/kms/v1/key/list?pattern=*')
    expect([listed.status, JSON.parse(listed.body)]).toEqual([200, [{ name: 'app-cache' }, { name: 'app-db' }]])
  })

  it('a Deny conditioned on the source address applies', async () => {
    expect(await call('GET', '/minio/kms/v1/status')).toBe(403)
    const status = asked.find((q) => (q.action as string) === 'kms:Status')!
    expect(status.conditions).toMatchObject({ 'aws:SourceIp': ['127.0.0.1'], 'aws:SecureTransport': ['false'], 'aws:username': ['kim'] })
  })
})
