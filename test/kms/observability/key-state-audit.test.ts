/**
 * Every key state change is audited: the request's own record carries the change and the
 * identity that made it, and the purge (no request) writes a DELETE record of its own, into the
 * hash-chained audit file.
 */
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { verifyChain } from '../../../src/kms/observability/audit-chain.js'
import { createKmsObservability, type KmsObservability } from '../../../src/kms/observability/kms.js'
import { startTestServer, type TestServer } from '../../helpers/server.js'

const auditFile = join(mkdtempSync(join(tmpdir(), 'keyhold-state-audit-')), 'audit.log')
let server: TestServer | undefined
let obs: KmsObservability | undefined

afterAll(async () => {
  await server?.close()
  await obs?.close()
})

interface Event {
  request: { method: string; path: string; identity: string }
  response: { code: number }
  message?: string
}

const events = (): Event[] =>
  readFileSync(auditFile, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Event)

describe('key state audit', () => {
  it('records disable, enable, schedule, restore and the purge, with who did it', async () => {
    const log = { error: 'silent', audit: 'info', auditFile } as const
    obs = await createKmsObservability({ log })
    server = await startTestServer({ log, keyDeletion: { waitMs: 300 } }, { ...obs.serverOptions(), probeMs: 0, keyPurgeIntervalMs: 100 })
    const admin = server.pki.clients.admin
    for (const [method, path] of [
      ['POST', '/v1/key/create/a1'], ['PUT', '/v1/key/disable/a1'], ['PUT', '/v1/key/enable/a1'],
      ['DELETE', '/v1/key/delete/a1'], ['PUT', '/v1/key/restore/a1'], ['DELETE', '/v1/key/delete/a1'],
    ] as const) {
      expect((await server.call(admin, method, path)).status).toBe(200)
    }
    const deadline = Date.now() + 5000
    while (!events().some((e) => e.message?.includes('purged')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    const mine = events().filter((e) => e.request.path.endsWith('/a1') && e.message !== undefined)
    expect(mine.map((e) => [e.request.method, e.request.identity === admin.identity ? 'admin' : e.request.identity, e.message?.replace(/at \S+$/, 'at T')])).toEqual([
      ['POST', 'admin', "secret key 'a1' created"],
      ['PUT', 'admin', "secret key 'a1' disabled (decrypt allowed)"],
      ['PUT', 'admin', "secret key 'a1' enabled"],
      ['DELETE', 'admin', "secret key 'a1' scheduled for deletion at T"],
      ['PUT', 'admin', "secret key 'a1' restored: its deletion is cancelled"],
      ['DELETE', 'admin', "secret key 'a1' scheduled for deletion at T"],
      ['DELETE', '', `secret key 'a1' purged: deletion scheduled by ${admin.identity} at T`],
    ])
    expect(verifyChain(readFileSync(auditFile, 'utf8').split('\n')).ok).toBe(true)
  }, 30_000)
})
