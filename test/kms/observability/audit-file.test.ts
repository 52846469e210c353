import { mkdtempSync, readFileSync, writeFileSync, appendFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { verifyChain } from '../../../src/kms/observability/audit-chain.js'
import { AuditFileError, openAuditFile } from '../../../src/kms/observability/audit-file.js'

const dir = mkdtempSync(join(tmpdir(), 'keyhold-audit-'))

describe('audit file', () => {
  it('appends chained lines in order and continues the chain after a restart', async () => {
    const path = join(dir, 'a.log')
    const first = await openAuditFile(path)
    for (let i = 0; i < 50; i++) first.append({ n: i })
    await first.close()
    expect(statSync(path).mode & 0o777).toBe(0o600)
    const second = await openAuditFile(path)
    expect(second.state.seq).toBe(50)
    second.append({ n: 50 })
    await second.close()
    const lines = readFileSync(path, 'utf8').split('\n')
    expect(lines.map((l) => (l ? JSON.parse(l).n : undefined)).slice(0, 51)).toEqual([...Array(51).keys()])
    expect(verifyChain(lines)).toMatchObject({ ok: true, count: 51 })
  })

  it('refuses to continue a file whose last record is damaged or incomplete', async () => {
    const path = join(dir, 'b.log')
    const f = await openAuditFile(path)
    f.append({ n: 1 })
    await f.close()
    appendFileSync(path, '{"partial":')
    await expect(openAuditFile(path)).rejects.toThrow(/incomplete record/)
    writeFileSync(path, readFileSync(path, 'utf8').replace('{"partial":', '').replace('"n":1', '"n":2'))
    await expect(openAuditFile(path)).rejects.toThrow(AuditFileError)
  })

  it('reports a file it cannot open', async () => {
    await expect(openAuditFile(join(dir, 'missing-dir', 'c.log'))).rejects.toThrow(/cannot open audit file/)
  })
})
