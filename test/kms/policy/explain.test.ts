/**
 * Policy explain (`PUT /v1/policy/explain/<identity>`) over real mutual TLS: first what an
 * attacker tries (explaining others without the right to read their policy, path tricks, hostile
 * bodies), then a table of requests whose explanation is checked against the server's real
 * answer to the same request sent with that identity's certificate.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../../helpers/server.js'
import type { TestCert } from '../../helpers/pki.js'

const DENIED = { message: 'not authorized: insufficient permissions' }
let s: TestServer
let admin: TestCert, app: TestCert, stranger: TestCert, explainOnly: TestCert, helpdesk: TestCert, self: TestCert, secret: TestCert

const explain = (as: TestCert | null, identity: string, body: object | string = {}) => s.call(as, 'PUT', `/v1/policy/explain/${identity}`, body)

beforeAll(async () => {
  const { testPki } = await import('../../helpers/pki.js')
  const pki = await testPki()
  ;({ admin, app, stranger } = pki.clients)
  explainOnly = await pki.client('explain-only')
  helpdesk = await pki.client('helpdesk')
  self = await pki.client('self')
  secret = await pki.client('secret')
  s = await startTestServer({
    policies: {
      app: {
        allow: ['/v1/key/create/app-*', '/v1/key/generate/*', '/v1/key/describe/*', '/v1/key/list/*', '/v1/status', '/v1/key/*/glob-?'],
        deny: ['/v1/key/describe/secret-*', '/v1/key/generate/secret-*'],
        identities: [app.identity],
      },
      // May call explain, but may read neither identities nor policies.
      'explain-only': { allow: ['/v1/policy/explain/*'], identities: [explainOnly.identity] },
      // May explain and read identities and the `app` policy only.
      helpdesk: { allow: ['/v1/policy/explain/*', '/v1/identity/describe/*', '/v1/policy/read/app'], identities: [helpdesk.identity] },
      // May explain itself only.
      selfpol: {
        allow: [`/v1/policy/explain/${self.identity}`, `/v1/identity/describe/${self.identity}`, '/v1/policy/read/selfpol'],
        identities: [self.identity],
      },
      secretpol: { allow: ['/v1/key/*'], identities: [secret.identity] },
    },
  })
  await s.call(admin, 'POST', '/v1/key/create/app-k')
  await s.call(admin, 'POST', '/v1/key/create/secret-k')
})

const body = { method: 'PUT', path: '/v1/key/create/x' }

describe('policy explain: what an attacker tries', () => {
  it('refuses identities without a policy and identities whose policy does not allow the route', async () => {
    for (const who of [stranger, app]) {
      const r = await explain(who, app.identity, body)
      expect([r.status, r.json]).toEqual([403, DENIED])
    }
  })

  it('refuses a caller allowed the route but not to read the identity and its policy', async () => {
    const r = await explain(explainOnly, app.identity, body)
    expect([r.status, r.json]).toEqual([403, DENIED])
    // Not even about itself: the answer would name its policy and patterns.
    const own = await explain(explainOnly, explainOnly.identity, body)
    expect([own.status, own.json]).toEqual([403, DENIED])
  })

  it("answers a caller who may read the identity and its policy, and refuses it for another policy's identity", async () => {
    const ok = await explain(helpdesk, app.identity, body)
    expect(ok.status).toBe(200)
    expect(ok.json).toMatchObject({ identity: app.identity, policy: 'app', decision: 'deny', allowed: false, status: 403 })
    const other = await explain(helpdesk, secret.identity, body)
    expect([other.status, other.json]).toEqual([403, DENIED])
  })

  it('lets an identity allowed only its own explain path explain itself, and nobody else', async () => {
    expect((await explain(self, self.identity, body)).status).toBe(200)
    for (const target of [app.identity, admin.identity, secret.identity, `${self.identity}0`]) {
      const r = await explain(self, target, body)
      expect([target, r.status, r.json]).toEqual([target, 403, DENIED])
    }
  })

  it('does not let path tricks reach another identity', async () => {
    // Encoded separators stay in the resource: the decoded path no longer equals the allowed one.
    for (const path of [`${self.identity}%2F..%2F${app.identity}`, `${self.identity}%2F${app.identity}`, `${self.identity}%00`]) {
      const r = await s.call(self, 'PUT', `/v1/policy/explain/${path}`, body)
      expect([path, r.status]).toEqual([path, 403])
    }
    // A literal dot segment is redirected (never served), as every route is.
    const dots = await s.call(self, 'PUT', `/v1/policy/explain/${self.identity}/../${app.identity}`, body)
    expect(dots.status).toBe(301)
  })

  it('answers hostile bodies with 400 and invalid identities with the identity error', async () => {
    for (const bad of [
      '',
      'not json',
      { method: 'PUT' },
      { method: 'TRACE', path: '/v1/status' },
      { method: 'GET', path: 'v1/status' },
      { method: 'GET', path: '/' + 'a'.repeat(1100) },
      { method: 'GET', path: '/v1/status', extra: 1 },
      [1, 2],
    ]) {
      const r = await explain(admin, app.identity, bad)
      expect([JSON.stringify(bad).slice(0, 40), r.status, r.json]).toEqual([JSON.stringify(bad).slice(0, 40), 400, { message: 'invalid request body' }])
    }
    const big = await explain(admin, app.identity, JSON.stringify({ method: 'GET', path: '/' + 'a'.repeat(5000) }))
    expect(big.status).toBe(400)
    const invalid = await explain(admin, 'a.b', body)
    expect([invalid.status, invalid.json]).toEqual([400, { message: "identity 'a.b' is empty, too long or contains invalid characters" }])
  })

  it('is a PUT (POST accepted as for every PUT route), nothing else', async () => {
    expect((await s.call(admin, 'GET', `/v1/policy/explain/${app.identity}`)).status).toBe(405)
    expect((await s.call(admin, 'POST', `/v1/policy/explain/${app.identity}`, body)).status).toBe(200)
  })
})

describe('policy explain against the real decision', () => {
  const who = () => ({ admin, app, stranger, secret })
  // [caller, method, path]
  const cases: Array<[keyof ReturnType<typeof who>, string, string]> = [
    ['app', 'POST', '/v1/key/create/app-new'],
    ['app', 'POST', '/v1/key/create/other'],
    ['app', 'PUT', '/v1/key/generate/app-k'],
    ['app', 'PUT', '/v1/key/generate/secret-k'],
    ['app', 'GET', '/v1/key/describe/app-k'],
    ['app', 'GET', '/v1/key/describe/secret-k'],
    ['app', 'GET', '/v1/key/list/*'],
    ['app', 'GET', '/v1/status'],
    ['app', 'PUT', '/v1/key/decrypt/glob-x'],
    ['app', 'PUT', '/v1/key/decrypt/glob-xy'],
    ['app', 'DELETE', '/v1/key/delete/app-k'],
    ['app', 'GET', '/v1/key/create/app-x'],
    ['app', 'GET', '/v1/nothing/here'],
    ['app', 'GET', '/v1/key/list'],
    ['app', 'GET', '/v1/identity/self/describe'],
    ['app', 'GET', '/version'],
    ['app', 'PUT', '/v1/key/disable/app-k'],
    ['stranger', 'GET', '/v1/status'],
    ['stranger', 'GET', '/v1/identity/self/describe'],
    ['admin', 'GET', '/v1/policy/list/*'],
    ['secret', 'PUT', '/v1/key/state/app-k'],
    ['secret', 'GET', '/v1/key/state/app-k'],
  ]

  it.each(cases)('%s %s %s', async (caller, method, path) => {
    const cert = who()[caller]
    const e = await explain(admin, cert.identity, { method, path })
    expect(e.status).toBe(200)
    const x = e.json as { allowed: boolean; status?: number; decision: string }
    const real = await s.call(cert, method, path, method === 'GET' || method === 'DELETE' ? undefined : {})
    if (!x.allowed) {
      expect(real.status).toBe(x.status)
      if (x.status === 403) expect(real.json).toEqual(DENIED)
      if (x.status === 404) expect(real.text).toBe('404 page not found\n')
    } else {
      // Reached the handler: whatever it answers, it is not the router's or the policy's refusal.
      expect(real.status).not.toBe(405)
      expect(real.status).not.toBe(301)
      expect(real.text).not.toBe('404 page not found\n')
      if (real.status === 403) expect(real.json).not.toEqual(DENIED)
    }
  })

  it('names the policy and every matching allow and deny pattern', async () => {
    const e = await explain(admin, app.identity, { method: 'PUT', path: '/v1/key/generate/secret-k' })
    expect(e.json).toMatchObject({
      route: '/v1/key/generate/', auth: 'policy', policy: 'app', decision: 'deny', allowed: false, status: 403,
      allow: ['/v1/key/generate/*'], deny: ['/v1/key/generate/secret-*'],
    })
    const admins = await explain(admin, admin.identity, { method: 'DELETE', path: '/v1/key/delete/x' })
    expect(admins.json).toMatchObject({ decision: 'admin', allowed: true })
    const none = await explain(admin, stranger.identity, { method: 'GET', path: '/v1/status' })
    expect(none.json).toMatchObject({ decision: 'deny', allowed: false, status: 403, reason: 'the identity has no policy' })
  })
})
