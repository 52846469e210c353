/**
 * Automatic rotation on the real `keyhold server --workers 2` (fs keystore, audit log on
 * stdout): a `keys:` entry with `rotate: 3s` gets a new version every period, each written once to
 * the audit log as a `PUT /v1/key/rotate/<name>` without a caller (one worker looks: serve.ts).
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { testPki, type TestPki } from '../../helpers/pki.js'
import { send } from '../../helpers/server.js'
import { spawnServer, type SpawnedServer } from '../observability/spawn-server.js'

let pki: TestPki
let server: SpawnedServer

beforeAll(async () => {
  pki = await testPki()
  server = await spawnServer(pki, 'log:\n  error: warn\n  audit: on\nkeys:\n  - name: auto-key\n    rotate: 3s\n', ['--workers', '2'])
}, 60_000)

afterAll(async () => {
  await server?.stop()
})

interface AuditLine {
  request: { path: string; identity: string; method: string }
  response: { code: number }
  decision: string
  message?: string
}

it('rotates the key every period and audits each rotation once, as the admin', async () => {
  const rotations = (): AuditLine[] =>
    server.stdout().split('\n').filter((l) => l.includes('/v1/key/rotate/')).map((l) => JSON.parse(l) as AuditLine)
  const deadline = Date.now() + 30_000
  while (rotations().length < 2) {
    if (Date.now() > deadline) throw new Error(`fewer than two rotations in 30 s:\n${server.stderr()}`)
    await new Promise((r) => setTimeout(r, 250))
  }
  const seen = rotations()
  expect(seen[0]).toMatchObject({ request: { method: 'PUT', path: '/v1/key/rotate/auto-key', identity: '' }, response: { code: 200 }, decision: 'none' })
  expect(seen.map((l) => l.message)).toEqual(seen.map((_, i) => `secret key 'auto-key' rotated to version ${i + 2} (automatic: every 3s)`))
  const d = (await send(server.url, pki, pki.clients.admin, 'GET', '/v1/key/describe/auto-key')).json as { version: number; created_by: string }
  expect(d.version).toBeGreaterThanOrEqual(seen.length + 1)
  expect(d.created_by).toBe(pki.clients.admin.identity)
  expect(server.stderr()).not.toMatch(/automatic rotation failed/)
}, 60_000)
