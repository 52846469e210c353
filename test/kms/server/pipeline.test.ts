/**
 * The route pipeline as the operations layer sees it: wrappers run outermost for every routed
 * request (also 405s and denials), and leave identity, decision, policy and the handler's note
 * on `res.locals`.
 */
import { beforeAll, expect, it } from 'vitest'
import type { RequestHandler } from 'express'
import type { Route } from '../../../src/kms/api/route.js'
import { startTestServer, type TestServer } from '../../helpers/server.js'
import { testPki } from '../../helpers/pki.js'

interface Seen { route: string; status: number; identity?: string; decision?: string; policy?: string; auditMessage?: string }
const seen: Seen[] = []
let s: TestServer

const wrapper = (route: Route): RequestHandler[] => [
  (_req, res, next) => {
    res.once('finish', () => {
      const l = res.locals as Omit<Seen, 'route' | 'status'>
      seen.push({ route: route.path, status: res.statusCode, identity: l.identity, decision: l.decision, policy: l.policy, auditMessage: l.auditMessage })
    })
    next()
  },
]

beforeAll(async () => {
  const pki = await testPki()
  s = await startTestServer(
    { policies: { app: { allow: ['/v1/key/describe/*'], identities: [pki.clients.app.identity] } } },
    { wrappers: wrapper },
  )
})

async function last(fn: () => Promise<unknown>): Promise<Seen> {
  const before = seen.length
  await fn()
  for (let i = 0; i < 50 && seen.length === before; i++) await new Promise((r) => setTimeout(r, 10))
  return seen[seen.length - 1]!
}

it('records the admin, the policy decision and the handler note', async () => {
  const { admin, app, stranger } = s.pki.clients
  expect(await last(() => s.call(admin, 'POST', '/v1/key/create/k'))).toEqual({
    route: '/v1/key/create/', status: 200, identity: admin.identity, decision: 'admin', policy: undefined, auditMessage: "secret key 'k' created",
  })
  expect(await last(() => s.call(app, 'GET', '/v1/key/describe/k'))).toMatchObject({ status: 200, identity: app.identity, decision: 'allow', policy: 'app' })
  expect(await last(() => s.call(app, 'DELETE', '/v1/key/delete/k'))).toMatchObject({ status: 403, decision: 'deny', policy: 'app' })
  expect(await last(() => s.call(stranger, 'GET', '/v1/status'))).toMatchObject({ status: 403, identity: stranger.identity, decision: 'deny', policy: undefined })
  expect(await last(() => s.call(admin, 'GET', '/version'))).toMatchObject({ route: '/version', status: 200, decision: 'none', identity: undefined })
})

it('wraps requests that fail before authentication', async () => {
  expect(await last(() => s.call(s.pki.clients.admin, 'GET', '/v1/key/create/x'))).toMatchObject({ route: '/v1/key/create/', status: 405, identity: undefined })
})
