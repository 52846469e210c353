/**
 * The client commands against a real Keyhold server over mutual TLS (memory keystore): the CLI
 * runs in-process here for speed; test/cli/bin.test.ts runs the executable itself.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { newApiKey } from '../../src/pki/index.js'
import { testPki, type TestPki } from '../helpers/pki.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { cli } from './run.js'

let pki: TestPki
let server: TestServer
let admin: NodeJS.ProcessEnv
let app: NodeJS.ProcessEnv

beforeAll(async () => {
  server = await startTestServer({
    policies: {
      'my-app': {
        allow: ['/v1/key/generate/app-*', '/v1/key/decrypt/app-*', '/v1/key/describe/*', '/v1/identity/self/describe'],
        deny: ['/v1/key/describe/secret-*'],
        identities: [(await testPki()).clients.app.identity],
      },
    },
  })
  pki = server.pki
  const base = { KES_SERVER: server.url, KES_CAPATH: pki.ca.certFile }
  admin = { ...base, KES_CLIENT_CERT: pki.clients.admin.certFile, KES_CLIENT_KEY: pki.clients.admin.keyFile }
  app = { ...base, KES_CLIENT_CERT: pki.clients.app.certFile, KES_CLIENT_KEY: pki.clients.app.keyFile }
})

describe('keyhold key', () => {
  it('creates, describes, lists and removes keys', async () => {
    expect(await cli(['key', 'create', 'app-one', 'app-two', 'other'], admin)).toEqual({ code: 0, stdout: '', stderr: '' })
    const info = JSON.parse((await cli(['key', 'info', 'app-one'], admin)).stdout) as Record<string, string>
    expect(info).toMatchObject({ name: 'app-one', created_by: pki.clients.admin.identity })
    const tty = await cli(['key', 'info', 'app-one'], admin, { tty: true })
    expect(tty.stdout).toMatch(/^Name\s+app-one\n/)
    expect(tty.stdout).toContain(`Created By  ${pki.clients.admin.identity}`)
    expect(JSON.parse((await cli(['key', 'ls'], admin)).stdout)).toEqual(['app-one', 'app-two', 'other'])
    expect(JSON.parse((await cli(['key', 'ls', 'app-*'], admin)).stdout)).toEqual(['app-one', 'app-two'])
    expect((await cli(['key', 'ls', 'app-*'], admin, { tty: true })).stdout).toBe('\x1b[1mKey\x1b[0m\napp-one\napp-two\n')
    expect((await cli(['key', 'ls', 'app-*', '--color', 'never', '-e', 'ignored'], admin, { tty: true })).stdout).toBe('Key\napp-one\napp-two\n')
    expect((await cli(['key', 'ls', '--color', 'sometimes'], admin)).stderr).toBe("Error: invalid --color 'sometimes': use auto, never or always. See 'keyhold key ls --help'\n")
    expect((await cli(['key', 'rm', 'other'], admin)).code).toBe(0)
    expect(await cli(['key', 'info', 'other'], admin)).toMatchObject({ code: 1, stderr: 'Error: failed to describe key "other": key does not exist\n' })
  })

  it('fails with KES messages and exit 1', async () => {
    await cli(['key', 'create', 'dup'], admin)
    expect(await cli(['key', 'create', 'dup'], admin)).toEqual({ code: 1, stdout: '', stderr: 'Error: failed to create key "dup": key already exists\n' })
    expect(await cli(['key', 'create', 'bad/name'], admin)).toMatchObject({
      code: 1,
      stderr: `Error: failed to create key "bad/name": key name 'bad/name' is empty, too long or contains invalid characters\n`,
    })
    expect(await cli(['key', 'create', 'app-x'], app)).toMatchObject({
      code: 1,
      stderr: 'Error: failed to create key "app-x": not authorized: insufficient permissions\n',
    })
    expect(await cli(['key', 'info', 'secret-1'], app)).toMatchObject({ code: 1, stderr: 'Error: failed to describe key "secret-1": not authorized: insufficient permissions\n' })
  })

  it('generates a data key and decrypts it again, with and without context', async () => {
    await cli(['key', 'create', 'app-dek'], admin)
    const ctx = Buffer.from('{"bucket":"b/o"}').toString('base64')
    const dek = JSON.parse((await cli(['key', 'dek', 'app-dek', ctx], app)).stdout) as { plaintext: string; ciphertext: string }
    expect(Buffer.from(dek.plaintext, 'base64')).toHaveLength(32)
    const opened = await cli(['key', 'decrypt', 'app-dek', dek.ciphertext, ctx], app)
    expect(JSON.parse(opened.stdout)).toEqual({ plaintext: dek.plaintext })
    expect(await cli(['key', 'decrypt', 'app-dek', dek.ciphertext], app)).toMatchObject({
      code: 1,
      stderr: 'Error: failed to decrypt ciphertext: decryption failed: ciphertext is not authentic\n',
    })
    expect(await cli(['key', 'decrypt', 'app-dek', 'not base64!'], app)).toMatchObject({ code: 2 })
    const tty = await cli(['key', 'dek', 'app-dek'], app, { tty: true })
    expect(tty.stdout).toMatch(/^\nplaintext: {2}[A-Za-z0-9+/]{43}=\nciphertext: \S+\n$/)
  })

  it('encrypts a message and imports a key', async () => {
    const raw = Buffer.alloc(32, 3).toString('base64')
    expect((await cli(['key', 'import', 'imported', raw], admin)).code).toBe(0)
    expect(JSON.parse((await cli(['key', 'info', 'imported'], admin)).stdout)).toMatchObject({ name: 'imported', algorithm: 'AES256' })
    const sealed = JSON.parse((await cli(['key', 'encrypt', 'imported', 'Hello World'], admin)).stdout) as { ciphertext: string }
    const opened = JSON.parse((await cli(['key', 'decrypt', 'imported', sealed.ciphertext], admin)).stdout) as { plaintext: string }
    expect(Buffer.from(opened.plaintext, 'base64').toString()).toBe('Hello World')
    expect(await cli(['key', 'import', 'short', Buffer.alloc(16).toString('base64')], admin)).toMatchObject({
      code: 1,
      stderr: `Error: failed to import key "short": invalid key size for 'AES256'\n`,
    })
  })
})

describe('keyhold identity, policy, status', () => {
  it('describes the caller, other identities and lists them', async () => {
    const self = JSON.parse((await cli(['identity', 'info'], app)).stdout) as Record<string, unknown>
    expect(self).toMatchObject({ identity: pki.clients.app.identity, policy: 'my-app' })
    const me = await cli(['identity', 'info'], app, { tty: true })
    expect(me.stdout).toContain('Role        User\nPolicy      my-app\n')
    expect(me.stdout).toContain('Allow\n  · /v1/key/generate/app-*\n')
    expect(me.stdout).toContain('Deny\n  · /v1/key/describe/secret-*\n')
    expect(JSON.parse((await cli(['identity', 'info', pki.clients.admin.identity], admin)).stdout)).toMatchObject({ admin: true })
    const ids = JSON.parse((await cli(['identity', 'ls'], admin)).stdout) as string[]
    expect(ids).toEqual([pki.clients.admin.identity, pki.clients.app.identity].sort())
    expect(await cli(['identity', 'info', 'f'.repeat(64)], admin)).toMatchObject({ code: 1, stderr: 'Error: identity does not exist\n' })
  })

  it('lists, describes and shows policies', async () => {
    expect(JSON.parse((await cli(['policy', 'ls'], admin)).stdout)).toEqual(['my-app'])
    expect(JSON.parse((await cli(['policy', 'info', 'my-app'], admin)).stdout)).toMatchObject({ name: 'my-app' })
    const shown = await cli(['policy', 'show', 'my-app'], admin, { tty: true })
    expect(shown.stdout).toContain('Allow\n  · /v1/key/generate/app-*\n  · /v1/key/decrypt/app-*\n')
    expect(await cli(['policy', 'show', 'nope'], admin)).toMatchObject({ code: 1, stderr: 'Error: policy does not exist\n' })
  })

  it('reports the status of each server, and the offline ones', async () => {
    const one = JSON.parse((await cli(['status', '--api'], admin)).stdout) as Record<string, unknown> & { apis: Array<{ path: string }> }
    expect(one).toMatchObject({ endpoint: server.url, version: expect.any(String) as string, uptime: expect.any(Number) as number })
    expect(one.apis.map((a) => a.path)).toContain('/v1/key/create/')
    const both = await cli(['status', '--short', '--server', `${server.url},127.0.0.1:1`], admin, { tty: true })
    expect(both.code).toBe(1)
    expect(both.stdout).toMatch(new RegExp(`^${server.url}  online  .* keystore reachable`))
    expect(both.stdout).toContain('https://127.0.0.1:1  offline  cannot reach https://127.0.0.1:1: connect ECONNREFUSED')
  })

  it('keeps KES\'s top-level ls for keys, policies (-p) and identities (-i), with -a for an API key', async () => {
    await cli(['key', 'create', 'ls-key'], admin)
    expect(JSON.parse((await cli(['ls', 'ls-*'], admin)).stdout)).toEqual(['ls-key'])
    expect(JSON.parse((await cli(['ls', '-p'], admin)).stdout)).toEqual(['my-app'])
    expect(JSON.parse((await cli(['ls', '-i', pki.clients.app.identity.slice(0, 8) + '*'], admin)).stdout)).toEqual([pki.clients.app.identity])
    // The API key replaces the admin certificate of the environment: an unknown identity is refused.
    expect(await cli(['ls', '-a', newApiKey()], admin)).toMatchObject({ code: 1, stderr: 'Error: failed to list keys: not authorized: insufficient permissions\n' })
    expect((await cli(['ls', '-i', '-p'], admin)).code).toBe(2)
  })

  it('needs the CA or --insecure to trust the server', async () => {
    const noCa = { ...admin, KES_CAPATH: undefined }
    const refused = await cli(['key', 'ls'], noCa)
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/^Error: failed to list keys: cannot reach .*certificate/)
    expect((await cli(['key', 'ls', '-k'], noCa)).code).toBe(0)
  })
})
