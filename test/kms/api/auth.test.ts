/**
 * Authentication and authorisation over real mutual TLS: admin bypass, policy allow/deny
 * (table-driven), unknown identities, no certificate, skip_auth, `tls.auth: on`, certificate
 * chains and API-key certificates.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { apiKeyCertificate, newApiKey, apiKeyIdentity } from '../../../src/pki/api-key.js'
import { send, startTestServer, type TestServer } from '../../helpers/server.js'
import type { TestCert } from '../../helpers/pki.js'

const DENIED = { message: 'not authorized: insufficient permissions' }
let s: TestServer

beforeAll(async () => {
  const { testPki } = await import('../../helpers/pki.js')
  const pki = await testPki()
  s = await startTestServer({
    policies: {
      app: {
        allow: ['/v1/key/create/app-*', '/v1/key/generate/*', '/v1/key/describe/*', '/v1/key/list/*', '/v1/status', '/v1/key/*/glob-?'],
        deny: ['/v1/key/describe/secret-*', '/v1/key/generate/secret-*'],
        identities: [pki.clients.app.identity],
      },
    },
  })
  await s.call(pki.clients.admin, 'POST', '/v1/key/create/app-k')
  await s.call(pki.clients.admin, 'POST', '/v1/key/create/secret-k')
})

describe('policy decisions', () => {
  // [method, path, allowed for app]
  it.each([
    ['POST', '/v1/key/create/app-new', true],
    ['POST', '/v1/key/create/other', false],
    ['POST', '/v1/key/generate/app-k', true],
    ['POST', '/v1/key/generate/secret-k', false], // deny beats allow
    ['GET', '/v1/key/describe/app-k', true],
    ['GET', '/v1/key/describe/secret-k', false],
    ['GET', '/v1/key/list/*', true],
    ['GET', '/v1/status', true],
    ['GET', '/v1/ready', false],
    ['GET', '/v1/api', false],
    ['DELETE', '/v1/key/delete/app-k', false],
    ['POST', '/v1/key/decrypt/app-k', false],
    ['POST', '/v1/key/create/glob-1', true], // path.Match glob
    ['GET', '/v1/policy/list/*', false],
    ['GET', '/v1/identity/list/*', false],
  ])('app: %s %s → allowed=%s', async (method, path, allowed) => {
    const r = await s.call(s.pki.clients.app, method, path, method === 'POST' ? {} : undefined)
    if (allowed) expect(r.status).not.toBe(403)
    else expect([r.status, r.json]).toEqual([403, DENIED])
  })

  it('lets the admin call everything', async () => {
    for (const path of ['/v1/ready', '/v1/api', '/v1/policy/list/*', '/v1/identity/list/*']) {
      expect((await s.call(s.pki.clients.admin, 'GET', path)).status).toBe(200)
    }
  })

  it('refuses an identity without a policy on every policy route, but not /version', async () => {
    const stranger = s.pki.clients.stranger
    for (const [m, p] of [['GET', '/v1/status'], ['POST', '/v1/key/create/x'], ['GET', '/v1/key/list/*']] as const) {
      expect((await s.call(stranger, m, p)).json).toEqual(DENIED)
    }
    expect((await s.call(stranger, 'GET', '/version')).status).toBe(200)
  })

  it('checks authorisation before the name (403, not 400)', async () => {
    const r = await s.call(s.pki.clients.stranger, 'POST', '/v1/key/create/a%2Fb')
    expect([r.status, r.json]).toEqual([403, DENIED])
  })

  it('checks the method before authorisation (405, not 403)', async () => {
    const r = await s.call(s.pki.clients.stranger, 'GET', '/v1/key/create/x')
    expect(r.status).toBe(405)
  })
})

describe('identity and policy routes', () => {
  it('self-describes in the flat v0.22 shape', async () => {
    const app = await s.call(s.pki.clients.app, 'GET', '/v1/identity/self/describe')
    expect(app.status).toBe(200)
    expect(app.json).toMatchObject({
      identity: s.pki.clients.app.identity, created_by: s.pki.clients.admin.identity, policy: 'app',
      allow: { '/v1/status': {} }, deny: { '/v1/key/describe/secret-*': {} },
    })
    const admin = await s.call(s.pki.clients.admin, 'GET', '/v1/identity/self/describe')
    expect(admin.json).toMatchObject({ identity: s.pki.clients.admin.identity, admin: true })
    const stranger = await s.call(s.pki.clients.stranger, 'GET', '/v1/identity/self/describe')
    expect([stranger.status, stranger.json]).toEqual([404, { message: 'identity does not exist' }])
  })

  it('describes and lists identities', async () => {
    const a = s.pki.clients.admin
    expect((await s.call(a, 'GET', `/v1/identity/describe/${s.pki.clients.app.identity}`)).json).toMatchObject({ policy: 'app', created_by: a.identity })
    expect((await s.call(a, 'GET', `/v1/identity/describe/${a.identity}`)).json).toMatchObject({ admin: true })
    const missing = await s.call(a, 'GET', `/v1/identity/describe/${s.pki.clients.stranger.identity}`)
    expect([missing.status, missing.json]).toEqual([404, { message: 'identity does not exist' }])
    const bad = await s.call(a, 'GET', '/v1/identity/describe/a%2Fb')
    expect([bad.status, bad.json]).toEqual([400, { message: "identity 'a/b' is empty, too long or contains invalid characters" }])
    const list = (await s.call(a, 'GET', '/v1/identity/list/*')).json as { identities: string[] }
    expect(list.identities).toEqual([a.identity, s.pki.clients.app.identity].sort())
  })

  it('describes, reads and lists policies', async () => {
    const a = s.pki.clients.admin
    expect((await s.call(a, 'GET', '/v1/policy/describe/app')).json).toMatchObject({ name: 'app', created_by: a.identity })
    const read = (await s.call(a, 'GET', '/v1/policy/read/app')).json as { allow: object; deny: object }
    expect(Object.keys(read.allow)).toContain('/v1/key/generate/*')
    expect(read.deny).toEqual({ '/v1/key/describe/secret-*': {}, '/v1/key/generate/secret-*': {} })
    const missing = await s.call(a, 'GET', '/v1/policy/read/nope')
    expect([missing.status, missing.json]).toEqual([404, { message: 'policy does not exist' }])
    const bad = await s.call(a, 'GET', '/v1/policy/describe/-x')
    expect([bad.status, bad.json]).toEqual([400, { message: "policy name '-x' is empty, too long or contains invalid characters" }])
    expect((await s.call(a, 'GET', '/v1/policy/list/a*')).json).toEqual({ names: ['app'], continue_at: '' })
    expect((await s.call(a, 'GET', '/v1/policy/list/z')).json).toEqual({ names: [], continue_at: '' })
  })
})

describe('client certificates', () => {
  const hangsUp = async (as: TestCert | null, path: string, server = s) => {
    await expect(send(server.url, server.pki, as, 'GET', path)).rejects.toThrow(/socket hang up|ECONNRESET|EPIPE|certificate/)
  }

  it('refuses a client without a certificate at the connection, even for /version', async () => {
    await hangsUp(null, '/version')
    await hangsUp(null, '/v1/status')
  })

  it('accepts a self-signed client certificate by default (authorisation is by identity)', async () => {
    const r = await s.call(s.pki.selfSigned, 'GET', '/v1/identity/self/describe')
    expect([r.status, r.json]).toEqual([404, { message: 'identity does not exist' }])
  })

  it('takes the leaf identity when the client also sends its CA', async () => {
    const admin = s.pki.clients.admin
    const chained = { ...admin, certPem: admin.certPem + s.pki.ca.certPem }
    const r = await s.call(chained, 'GET', '/v1/identity/self/describe')
    expect(r.json).toMatchObject({ identity: admin.identity, admin: true })
  })

  it('authenticates an API-key certificate as the key identity', async () => {
    const apiKey = newApiKey()
    const cert = await apiKeyCertificate(apiKey)
    const server = await startTestServer({ admin: apiKeyIdentity(apiKey) })
    const client = { certPem: cert.certPem, keyPem: cert.keyPem, certFile: '', keyFile: '', identity: cert.identity }
    expect((await server.call(client, 'POST', '/v1/key/create/from-api-key')).status).toBe(200)
    expect((await server.call(server.pki.clients.admin, 'POST', '/v1/key/create/y')).status).toBe(403)
  })

  it('with skip_auth, serves that route without a certificate and 400s the others', async () => {
    const server = await startTestServer({ api: { '/v1/status': { skipAuth: true } } })
    expect((await server.call(null, 'GET', '/v1/status')).status).toBe(200)
    expect((await server.call(null, 'GET', '/version')).status).toBe(200)
    expect((await server.call(server.pki.clients.stranger, 'GET', '/v1/status')).status).toBe(200)
    const create = await server.call(null, 'POST', '/v1/key/create/x')
    expect([create.status, create.json]).toEqual([400, { message: 'tls: client certificate is required' }])
    const self = await server.call(null, 'GET', '/v1/identity/self/describe')
    expect([self.status, self.json]).toEqual([400, { message: 'tls: client certificate is required' }])
    const api = (await server.call(server.pki.clients.admin, 'GET', '/v1/api')).json as Array<{ path: string; timeout: number }>
    expect(api.find((r) => r.path === '/v1/status')).toMatchObject({ timeout: 15 })
  })

  it('with tls.auth on, refuses certificates the CA did not sign', async () => {
    const server = await startTestServer({ tls: { certPem: s.pki.server.certPem, keyPem: s.pki.server.keyPem, verifyClients: true, caPem: s.pki.ca.certPem } })
    expect((await server.call(server.pki.clients.admin, 'GET', '/v1/api')).status).toBe(200)
    await hangsUp(server.pki.selfSigned, '/version', server)
    await hangsUp(null, '/version', server)
  })

  it('with tls.auth on and no tls.ca, verifies against the system roots (KES): a private CA\'s client is refused', async () => {
    const server = await startTestServer({ tls: { certPem: s.pki.server.certPem, keyPem: s.pki.server.keyPem, verifyClients: true } })
    await hangsUp(server.pki.clients.admin, '/version', server)
    await hangsUp(server.pki.selfSigned, '/version', server)
  })

  it('disables the admin when admin.identity is not an identity', async () => {
    const server = await startTestServer({ admin: 'disabled' })
    expect((await server.call(server.pki.clients.admin, 'GET', '/v1/api')).json).toEqual(DENIED)
    expect((await server.call(server.pki.clients.admin, 'GET', '/version')).status).toBe(200)
  })
})
