/**
 * `keyhold key state|disable|enable|restore`, `keyhold key rm` with scheduled deletion, and
 * `keyhold policy explain`, in-process against a real Keyhold server over mutual TLS.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { testPki, type TestPki } from '../helpers/pki.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { cli } from './run.js'

let pki: TestPki
let server: TestServer
let admin: NodeJS.ProcessEnv
let app: NodeJS.ProcessEnv

beforeAll(async () => {
  pki = await testPki()
  server = await startTestServer({
    keyDeletion: { waitMs: 3_600_000 },
    policies: { 'my-app': { allow: ['/v1/key/generate/app-*'], deny: ['/v1/key/generate/app-secret'], identities: [pki.clients.app.identity] } },
  })
  const base = { KES_SERVER: server.url, KES_CAPATH: pki.ca.certFile }
  admin = { ...base, KES_CLIENT_CERT: pki.clients.admin.certFile, KES_CLIENT_KEY: pki.clients.admin.keyFile }
  app = { ...base, KES_CLIENT_CERT: pki.clients.app.certFile, KES_CLIENT_KEY: pki.clients.app.keyFile }
})

describe('keyhold key state, disable, enable, restore', () => {
  it('disables and enables keys and shows their state', async () => {
    expect((await cli(['key', 'create', 'app-k'], admin)).code).toBe(0)
    expect(await cli(['key', 'disable', '--no-decrypt', 'app-k'], admin)).toEqual({ code: 0, stdout: '', stderr: '' })
    expect(JSON.parse((await cli(['key', 'state', 'app-k'], admin)).stdout)).toMatchObject({ name: 'app-k', state: 'disabled', decrypt: false })
    const tty = await cli(['key', 'state', 'app-k'], admin, { tty: true })
    expect(tty.stdout).toMatch(/^Name\s+app-k\nState\s+disabled\nDecrypt\s+refused\n/)
    expect(await cli(['key', 'dek', 'app-k'], admin)).toEqual({ code: 1, stdout: '', stderr: 'Error: failed to derive key: key is disabled\n' })
    expect((await cli(['key', 'enable', 'app-k'], admin)).code).toBe(0)
    expect((await cli(['key', 'dek', 'app-k'], admin)).code).toBe(0)
  })

  it('rm schedules when the server waits, and restore undoes it', async () => {
    expect((await cli(['key', 'create', 'app-r'], admin)).code).toBe(0)
    const rm = await cli(['key', 'rm', 'app-r'], admin)
    expect(rm.code).toBe(0)
    expect(rm.stderr).toMatch(/^note: key "app-r" is scheduled for deletion at .+; 'keyhold key restore app-r' undoes it until then\n$/)
    expect((await cli(['key', 'info', 'app-r'], admin)).stderr).toBe('Error: failed to describe key "app-r": key does not exist\n')
    expect(await cli(['key', 'restore', 'app-r'], admin)).toEqual({ code: 0, stdout: '', stderr: '' })
    expect(await cli(['key', 'restore', 'app-r'], admin)).toEqual({ code: 1, stdout: '', stderr: 'Error: failed to restore key "app-r": key is not scheduled for deletion\n' })
    expect((await cli(['key', 'info', 'app-r'], admin)).code).toBe(0)
  })

  it('needs a key name', async () => {
    for (const cmd of ['state', 'disable', 'enable', 'restore']) {
      const r = await cli(['key', cmd], admin)
      expect([cmd, r.code, r.stderr.split('\n')[0]]).toEqual([cmd, 2, `Error: no key name specified. See 'keyhold key ${cmd} --help'`])
    }
  })
})

describe('keyhold policy explain', () => {
  it('explains an allow and a deny, with the matching patterns', async () => {
    const id = pki.clients.app.identity
    const allowed = JSON.parse((await cli(['policy', 'explain', id, 'put', '/v1/key/generate/app-k'], admin)).stdout) as Record<string, unknown>
    expect(allowed).toMatchObject({ decision: 'allow', allowed: true, policy: 'my-app', allow: ['/v1/key/generate/app-*'], deny: [] })
    const denied = await cli(['policy', 'explain', id, 'PUT', '/v1/key/generate/app-secret'], admin, { tty: true })
    expect(denied.stdout).toContain("Decision       refused with 403 (deny)\nReason         policy 'my-app' denies the path: a deny pattern matches\n")
    expect(denied.stdout).toContain('Deny Matched   /v1/key/generate/app-secret\n')
  })

  it('refuses bad arguments before calling, and callers without the rights', async () => {
    expect((await cli(['policy', 'explain', 'x', 'FETCH', '/v1/status'], admin)).stderr).toMatch(/^Error: invalid method 'FETCH': use one of GET, PUT, POST, DELETE, HEAD/)
    expect((await cli(['policy', 'explain', 'x', 'GET', 'v1/status'], admin)).stderr).toMatch(/^Error: invalid path 'v1\/status': it must start with '\/'/)
    expect(await cli(['policy', 'explain', pki.clients.admin.identity, 'GET', '/v1/status'], app)).toEqual({
      code: 1, stdout: '', stderr: 'Error: failed to explain the request: not authorized: insufficient permissions\n',
    })
  })
})
