import { mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { open, type FileHandle } from 'node:fs/promises'
import { describe, expect, it, vi } from 'vitest'
import { verifyChain } from '../../../src/kms/observability/audit-chain.js'
import { fillDisk, mountTmpfs } from '../../helpers/tmpfs.js'
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

  it('cuts an incomplete last record (a write cut short), says so, and continues the chain', async () => {
    const path = join(dir, 'b.log')
    const f = await openAuditFile(path)
    f.append({ n: 1 })
    await f.close()
    appendFileSync(path, '{"partial":')
    const reports: string[] = []
    const g = await openAuditFile(path, (m) => reports.push(m))
    expect(reports).toEqual([`audit: cut an incomplete last record (11 bytes) from '${path}', left by a write cut short`])
    g.append({ n: 2 })
    await g.close()
    const lines = readFileSync(path, 'utf8').split('\n')
    expect(verifyChain(lines)).toMatchObject({ ok: true, count: 2 })
    // A file with no whole record before the torn one may be no audit file at all (a path set to the wrong
    // file): refused, and left as it was.
    writeFileSync(path, '{"token":"not an audit file"}')
    await expect(openAuditFile(path, () => undefined)).rejects.toThrow(/incomplete record/)
    expect(readFileSync(path, 'utf8')).toBe('{"token":"not an audit file"}')
  })

  it('refuses to continue a file whose last whole record is damaged', async () => {
    const path = join(dir, 'b2.log')
    const f = await openAuditFile(path)
    f.append({ n: 1 })
    await f.close()
    writeFileSync(path, readFileSync(path, 'utf8').replace('"n":1', '"n":2'))
    await expect(openAuditFile(path)).rejects.toThrow(AuditFileError)
    writeFileSync(path, readFileSync(path, 'utf8') + 'not a record\n')
    await expect(openAuditFile(path)).rejects.toThrow(/damaged/)
  })

  it('reports a file it cannot open', async () => {
    await expect(openAuditFile(join(dir, 'missing-dir', 'c.log'))).rejects.toThrow(/cannot open audit file/)
  })
})

describe('audit file on a full disk (a tmpfs filled up; needs root)', () => {
  it('keeps the records while it cannot write, cuts no record in half, and writes them all once there is room', async (t) => {
    const tmpfs = mountTmpfs(1)
    if (tmpfs.skip !== undefined) return t.skip(tmpfs.skip)
    const path = join(tmpfs.dir, 'audit.log')
    const reports: string[] = []
    const f = await openAuditFile(path, (m) => reports.push(m))
    try {
      for (let i = 0; i < 10; i++) f.append({ n: i })
      await f.flush()
      // Fill the disk to the last byte: the next batch is cut short, then refused.
      fillDisk(join(tmpfs.dir, 'ballast'))
      for (let i = 10; i < 200; i++) f.append({ n: i, pad: 'x'.repeat(200) })
      await f.flush()
      expect(f.failure).toBeDefined()
      expect(reports[0]).toMatch(/^audit: cannot write to '.*audit\.log' \(ENOSPC\): records are kept in memory/)
      // What is on disk meanwhile is whole records only.
      const during = readFileSync(path, 'utf8')
      expect(during.endsWith('\n')).toBe(true)
      expect(verifyChain(during.split('\n')).ok).toBe(true)
      rmSync(join(tmpfs.dir, 'ballast'))
      const deadline = Date.now() + 5_000
      while (f.failure !== undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
      await f.flush()
      expect(f.failure).toBeUndefined()
      expect(reports.at(-1)).toBe(`audit: writing to '${path}' resumed`)
      await f.close()
      const lines = readFileSync(path, 'utf8').split('\n')
      expect(verifyChain(lines)).toMatchObject({ ok: true, count: 200 })
      expect(lines.slice(0, 200).map((l) => (JSON.parse(l) as { n: number }).n)).toEqual([...Array(200).keys()])
    } finally {
      await f.close()
      tmpfs.unmount()
    }
  })
})

describe('audit file whose cut after a failed write fails too', () => {
  it('writes nothing after a torn record until the cut succeeds', async () => {
    const path = join(dir, 'torn.log')
    const f = await openAuditFile(path, () => undefined)
    f.append({ n: 0 })
    await f.flush()
    const probe = await open(join(dir, 'torn-probe'), 'w')
    const proto = Object.getPrototypeOf(probe) as FileHandle
    await probe.close()
    const write = proto.write
    // One write lands half its bytes and then fails, as a disk filling up does; the first cut fails as well.
    const writeSpy = vi.spyOn(proto, 'write').mockImplementationOnce(async function (this: FileHandle, buf: unknown, offset?: unknown, length?: unknown) {
      await (write as (b: unknown, o: unknown, l: unknown, p: null) => Promise<unknown>).call(this, buf, offset, Math.floor(Number(length) / 2), null)
      throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' })
    })
    const truncateSpy = vi.spyOn(proto, 'truncate').mockImplementationOnce(() => Promise.reject(Object.assign(new Error('I/O error'), { code: 'EIO' })))
    try {
      f.append({ n: 1 })
      await f.flush()
      expect(f.failure).toBeDefined()
      f.append({ n: 2 })
      const deadline = Date.now() + 5_000
      while (f.failure !== undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
      await f.flush()
    } finally {
      writeSpy.mockRestore()
      truncateSpy.mockRestore()
    }
    await f.close()
    const lines = readFileSync(path, 'utf8').split('\n')
    expect(verifyChain(lines)).toMatchObject({ ok: true, count: 3 })
  })
})
