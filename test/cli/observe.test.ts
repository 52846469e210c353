/**
 * `keyhold metric` and `keyhold log` against a real server with the observability wired in:
 * metrics are scraped and summarised, the audit stream is followed and ends on interrupt.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKmsObservability, type KmsObservability } from '../../src/kms/observability/kms.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { cli } from './run.js'

const BIN = fileURLToPath(new URL('../../bin/keyhold.js', import.meta.url))
let server: TestServer
let observability: KmsObservability
let admin: NodeJS.ProcessEnv

beforeAll(async () => {
  observability = await createKmsObservability({ log: { error: 'silent', audit: 'silent' } }, { audit: { kind: 'off' }, errorSink: { write: () => {} } })
  server = await startTestServer({}, observability.serverOptions())
  const pki = server.pki
  admin = { KES_SERVER: server.url, KES_CAPATH: pki.ca.certFile, KES_CLIENT_CERT: pki.clients.admin.certFile, KES_CLIENT_KEY: pki.clients.admin.keyFile }
})
afterAll(() => observability?.close())

describe('keyhold metric', () => {
  it('summarises the request counters and prints every sample as JSON', async () => {
    await cli(['key', 'create', 'm1'], admin)
    await cli(['key', 'create', 'm1'], admin) // a 400
    const json = JSON.parse((await cli(['metric'], admin)).stdout) as Record<string, number>
    expect(json['kes_http_request_success{code="200"}']).toBeGreaterThanOrEqual(1)
    expect(json['kes_http_request_error{code="400"}']).toBeGreaterThanOrEqual(1)
    const text = await cli(['metric'], admin, { tty: true })
    expect(text.stdout).toMatch(/^Requests\s+\d+ \(\d+ success, \d+ error, 0 failure\)\n/)
    expect(text.stdout).toMatch(/\nUptime\s+\d+s\n/)
  })

  it('scrapes again every --rate until interrupted', async () => {
    const abort = new AbortController()
    setTimeout(() => abort.abort(), 700)
    const r = await cli(['metric', '--rate', '250ms'], admin, { signal: abort.signal })
    expect(r.code).toBe(0)
    const scrapes = r.stdout.trim().split('\n')
    expect(scrapes.length).toBeGreaterThanOrEqual(2)
    expect(scrapes.length).toBeLessThanOrEqual(4)
  })
})

describe('keyhold log', () => {
  it('follows the audit log until interrupted', async () => {
    const abort = new AbortController()
    const following = cli(['log', '--audit'], admin, { signal: abort.signal })
    await new Promise((resolve) => setTimeout(resolve, 300))
    await cli(['key', 'create', 'audited-key'], admin)
    await new Promise((resolve) => setTimeout(resolve, 200))
    abort.abort()
    const r = await following
    expect(r.code).toBe(0)
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { request: { path: string; identity: string }; response: { code: number } })
    expect(events).toContainEqual(
      expect.objectContaining({
        request: expect.objectContaining({ path: '/v1/key/create/audited-key', identity: server.pki.clients.admin.identity }) as unknown,
        response: expect.objectContaining({ code: 200 }) as unknown,
      }),
    )
  })

  it('ends with exit 0 when the keyhold process is interrupted (SIGINT)', async () => {
    const child = spawn(process.execPath, [BIN, 'log', '--audit'], { env: { PATH: process.env.PATH, ...admin, KEYHOLD_FROM_SOURCE: '1' } })
    let out = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    // Poke the server until the stream shows our request: then the CLI is surely following.
    const deadline = Date.now() + 60_000
    while (!out.includes('/v1/key/describe/poke') && Date.now() < deadline) {
      await cli(['key', 'info', 'poke'], admin)
      await new Promise((resolve) => setTimeout(resolve, 300))
    }
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    child.kill('SIGINT')
    expect(await exited).toBe(0)
    expect(out).toContain('"path":"/v1/key/describe/poke"')
  }, 90_000)

  it('refuses --audit with --error', async () => {
    expect((await cli(['log', '--audit', '--error'], admin)).code).toBe(2)
  })
})
