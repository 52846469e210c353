import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { verifyAuditFile } from '../../../src/cli/keyhold/audit.js'
import { createKmsObservability } from '../../../src/kms/observability/kms.js'
import { startTestServer } from '../../helpers/server.js'

const auditFile = join(mkdtempSync(join(tmpdir(), 'keyhold-restart-')), 'audit.log')

/** Runs one server life: `n` audited requests, then a clean stop. */
async function life(n: number): Promise<void> {
  const obs = await createKmsObservability({ log: { error: 'silent', audit: 'info', auditFile } }, { errorSink: { write: () => true } })
  const server = await startTestServer({}, { ...obs.serverOptions(), probeMs: 0 })
  for (let i = 0; i < n; i++) expect((await server.call(server.pki.clients.admin, 'GET', '/version')).status).toBe(200)
  await server.close()
  await obs.close()
}

describe('audit chain across restarts', () => {
  it('continues from the last record, so the file verifies as one chain', async () => {
    await life(3)
    await life(2)
    await life(4)
    expect(await verifyAuditFile(auditFile)).toMatchObject({ ok: true, count: 9 })
    const seqs = readFileSync(auditFile, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { seq: number }).seq)
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
  })
})
