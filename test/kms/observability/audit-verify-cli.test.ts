import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { runAuditCommand } from '../../../src/cli/keyhold/audit.js'
import { openAuditFile } from '../../../src/kms/observability/audit-file.js'
import { auditJson } from '../../../src/kms/observability/audit-record.js'

const dir = mkdtempSync(join(tmpdir(), 'keyhold-verify-'))

async function writeLog(name: string, n: number): Promise<string> {
  const path = join(dir, name)
  const f = await openAuditFile(path)
  for (let i = 1; i <= n; i++) f.append({ time: new Date(0).toISOString(), request: { path: `/v1/key/create/k${i}` }, response: { code: 200 } })
  await f.close()
  return path
}

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true))
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true))
  process.exitCode = undefined
  try {
    await runAuditCommand(argv)
  } finally {
    o.mockRestore()
    e.mockRestore()
  }
  const code = Number(process.exitCode ?? 0)
  process.exitCode = undefined
  return { code, out, err }
}

afterEach(() => {
  process.exitCode = undefined
})

describe('keyhold audit verify', () => {
  it('reports OK with the count for an intact file', async () => {
    const path = await writeLog('ok.log', 20)
    const r = await run('verify', path)
    expect(r).toMatchObject({ code: 0, err: '' })
    expect(r.out).toMatch(/^OK: 20 records/)
  })

  it('names the first changed, removed or reordered record and exits 1', async () => {
    const path = await writeLog('bad.log', 10)
    const lines = readFileSync(path, 'utf8').split('\n')
    const changed = join(dir, 'changed.log')
    writeFileSync(changed, lines.map((l, i) => (i === 6 ? l.replace('k7', 'k8') : l)).join('\n'))
    expect(await run('verify', changed)).toMatchObject({ code: 1, err: expect.stringContaining('line 7 (record 7): changed') })
    const removed = join(dir, 'removed.log')
    writeFileSync(removed, lines.filter((_, i) => i !== 3).join('\n'))
    expect(await run('verify', removed)).toMatchObject({ code: 1, err: expect.stringContaining('record 4 removed') })
    const reordered = join(dir, 'reordered.log')
    writeFileSync(reordered, [...lines.slice(0, 9), lines[2], ''].join('\n'))
    expect(await run('verify', reordered)).toMatchObject({ code: 1, err: expect.stringContaining('line 10: record 3 out of order') })
  })

  it('verifies a file begun with fractional response times and continued with whole milliseconds', async () => {
    const path = join(dir, 'mixed.log')
    // What servers before the whole-millisecond change wrote.
    const old = await openAuditFile(path)
    old.appendJson('{"time":"2026-01-01T00:00:00.000Z","request":{"ip":"127.0.0.1","method":"PUT","path":"/v1/key/create/a","identity":""},"response":{"code":200,"time":4.077},"decision":"admin"}')
    old.appendJson('{"time":"2026-01-01T00:00:01.000Z","request":{"ip":"127.0.0.1","method":"GET","path":"/v1/key/describe/a","identity":""},"response":{"code":200,"time":0.412},"decision":"admin"}')
    await old.close()
    const current = await openAuditFile(path)
    current.appendJson(auditJson({ time: new Date(), method: 'GET', path: '/v1/key/describe/a', identity: '', ip: '127.0.0.1', status: 200, responseMs: 4.077, decision: 'admin' }))
    await current.close()
    const text = readFileSync(path, 'utf8')
    expect(text).toContain('"response":{"code":200,"time":4.077}')
    expect(text).toContain('"response":{"code":200,"time":4,"time_us":4077}')
    const r = await run('verify', path)
    expect(r).toMatchObject({ code: 0, err: '' })
    expect(r.out).toMatch(/^OK: 3 records/)
  })

  it('fails cleanly on a missing file and on bad usage', async () => {
    expect(await run('verify', join(dir, 'nope.log'))).toMatchObject({ code: 1, err: expect.stringContaining('cannot read audit file') })
    expect(await run('verify')).toMatchObject({ code: 2 })
    expect(await run('check', 'x')).toMatchObject({ code: 2, err: expect.stringContaining("unknown audit command 'check'") })
  })
})

describe('keyhold audit verify (the real executable)', () => {
  it('exits 0 on an intact file and 1 on a tampered one', async () => {
    const path = await writeLog('exe.log', 3)
    const bin = join(import.meta.dirname, '../../../bin/keyhold.js')
    const env = { ...process.env, KEYHOLD_FROM_SOURCE: '1' }
    const ok = spawnSync(process.execPath, [bin, 'audit', 'verify', path], { env, encoding: 'utf8', timeout: 20_000 })
    expect(ok.status).toBe(0)
    expect(ok.stdout).toMatch(/^OK: 3 records/)
    writeFileSync(path, readFileSync(path, 'utf8').replace('k2', 'k9'))
    const bad = spawnSync(process.execPath, [bin, 'audit', 'verify', path], { env, encoding: 'utf8', timeout: 20_000 })
    expect(bad.status).toBe(1)
    expect(bad.stderr).toContain('line 2 (record 2): changed')
  }, 30_000)
})
