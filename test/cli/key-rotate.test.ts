/**
 * `keyhold key rotate` and the versions `keyhold key info` prints, against a real Keyhold server
 * over mutual TLS (the CLI in-process), with KES-style errors and exit codes.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { testPki } from '../helpers/pki.js'
import { startTestServer } from '../helpers/server.js'
import { cli } from './run.js'

let admin: NodeJS.ProcessEnv
let app: NodeJS.ProcessEnv

beforeAll(async () => {
  const pki = await testPki()
  const server = await startTestServer({
    policies: { app: { allow: ['/v1/key/describe/*'], identities: [pki.clients.app.identity] } },
  })
  const base = { KES_SERVER: server.url, KES_CAPATH: pki.ca.certFile }
  admin = { ...base, KES_CLIENT_CERT: pki.clients.admin.certFile, KES_CLIENT_KEY: pki.clients.admin.keyFile }
  app = { ...base, KES_CLIENT_CERT: pki.clients.app.certFile, KES_CLIENT_KEY: pki.clients.app.keyFile }
})

describe('keyhold key rotate', () => {
  it('rotates keys, and info prints every version with its creation time', async () => {
    await cli(['key', 'create', 'cr-a', 'cr-b'], admin)
    const plain = await cli(['key', 'info', 'cr-a'], admin, { tty: true })
    expect(plain.stdout).not.toMatch(/Version/)

    const r = await cli(['key', 'rotate', 'cr-a', 'cr-b'], admin, { tty: true })
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^key "cr-a" is now at version 2 \(created \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\)\nkey "cr-b" is now at version 2 /)
    const json = await cli(['key', 'rotate', 'cr-a'], admin)
    expect(JSON.parse(json.stdout)).toMatchObject({ name: 'cr-a', version: 3 })

    const tty = await cli(['key', 'info', 'cr-a'], admin, { tty: true })
    expect(tty.stdout).toMatch(/^Version\s+3$/m)
    expect(tty.stdout).toMatch(/Versions\n {2}· v3 {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}\(current\)\n {2}· v2 {2}\S+ \S+\n {2}· v1 {2}\S+ \S+\n$/)
    const info = JSON.parse((await cli(['key', 'info', 'cr-a'], admin)).stdout) as { version: number; versions: { version: number }[] }
    expect([info.version, info.versions.map((v) => v.version)]).toEqual([3, [3, 2, 1]])
    expect(JSON.parse((await cli(['key', 'ls', 'cr-*'], admin)).stdout)).toEqual(['cr-a', 'cr-b'])
  })

  it('fails with the server message and exit 1', async () => {
    expect(await cli(['key', 'rotate', 'cr-none'], admin)).toEqual({ code: 1, stdout: '', stderr: 'Error: failed to rotate key "cr-none": key does not exist\n' })
    await cli(['key', 'create', 'cr-app'], admin)
    expect(await cli(['key', 'rotate', 'cr-app'], app)).toEqual({ code: 1, stdout: '', stderr: 'Error: failed to rotate key "cr-app": not authorized: insufficient permissions\n' })
    expect(await cli(['key', 'rotate'], admin)).toMatchObject({ code: 2, stderr: "Error: no key name specified. See 'keyhold key rotate --help'\n" })
  })
})
