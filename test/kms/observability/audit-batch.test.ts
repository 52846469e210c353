import { mkdtempSync, readFileSync } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { runAuditCommand } from '../../../src/cli/keyhold/audit.js'
import { AuditChain, verifyChain } from '../../../src/kms/observability/audit-chain.js'
import { AuditLog, openAuditWriter } from '../../../src/kms/observability/audit-log.js'
import type { AuditRecord } from '../../../src/kms/observability/audit-record.js'
import type { WorkerMessage } from '../../../src/kms/workers/messages.js'
import { WorkerLink } from '../../../src/kms/workers/worker-link.js'

const dir = mkdtempSync(join(tmpdir(), 'keyhold-audit-batch-'))

/** A record whose strings need JSON escaping, so the batch text carries escapes, never raw newlines. */
function record(i: number): AuditRecord {
  return {
    time: new Date(1_700_000_000_000 + i),
    method: 'PUT',
    path: `/v1/key/generate/k"${i}\n\\`,
    identity: 'ab'.repeat(32),
    ip: '127.0.0.1',
    status: i % 7 === 0 ? 403 : 200,
    responseMs: i / 3,
    decision: i % 7 === 0 ? 'deny' : 'allow',
    policy: 'bench',
    ...(i % 5 === 0 ? { message: `key 'k${i}'\ncreated` } : {}),
  }
}

afterEach(() => {
  process.exitCode = undefined
})

describe('audit events batched per IPC message', () => {
  it('sends a full batch at once, without waiting for the timer', () => {
    const sent: WorkerMessage[] = []
    const link = new WorkerLink((msg) => sent.push(msg))
    const writer = link.auditWriter()
    for (let i = 0; i < 2500; i++) writer.write(JSON.stringify({ n: i }))
    expect(sent.map((m) => (m.t === 'keyhold:audit' ? m.json.split('\n').length : 0))).toEqual([1000, 1000])
    link.flush()
    const all = sent.flatMap((m) => (m.t === 'keyhold:audit' ? m.json.split('\n') : []))
    expect(all.map((j) => (JSON.parse(j) as { n: number }).n)).toEqual([...Array(2500).keys()])
  })

  it('seals a batch into exactly the lines sealing each event in turn gives', () => {
    const events = Array.from({ length: 50 }, (_, i) => ({ n: i, s: `a\nb"${i}` }))
    const one = new AuditChain()
    const each = events.map((e) => one.seal(e)).join('')
    const batched = new AuditChain().sealBatch(events.map((e) => JSON.stringify(e)).join('\n'))
    expect(batched).toBe(each)
    expect(verifyChain(batched.split('\n'))).toMatchObject({ ok: true, count: 50 })
    // An empty object is an event too.
    expect(new AuditChain().sealBatch('{}\n{}').split('\n').slice(0, 2).map((l) => JSON.parse(l).seq)).toEqual([1, 2])
  })

  it("carries many events from a worker in one message, written in one append, and 'keyhold audit verify' accepts the file", async () => {
    const sent: WorkerMessage[] = []
    const link = new WorkerLink((msg) => sent.push(msg))
    const audit = new AuditLog({ writer: link.auditWriter() })
    link.registerHub('audit', audit.hub)
    const N = 900
    for (let i = 0; i < N; i++) audit.record(record(i))
    expect(sent).toHaveLength(0)
    // Sent on the link's timer (or at exit, by flush()), not once per event or per event-loop turn.
    await new Promise((r) => setTimeout(r, 50))
    const batches = sent.filter((m) => m.t === 'keyhold:audit')
    expect(batches).toHaveLength(1)

    for (let i = N; i < N + 3; i++) audit.record(record(i))
    link.flush()
    expect(sent.filter((m) => m.t === 'keyhold:audit')).toHaveLength(2)

    // The primary's side: its file writer gets each message's text and writes each in one append.
    const path = join(dir, 'batch.log')
    const probe = await open(join(dir, 'probe'), 'w')
    const appendFile = vi.spyOn(Object.getPrototypeOf(probe) as FileHandle, 'write')
    await probe.close()
    const writer = await openAuditWriter({ kind: 'file', path })
    for (const m of sent) if (m.t === 'keyhold:audit') writer.write(m.json)
    await writer.close()
    expect(appendFile).toHaveBeenCalledTimes(2)
    appendFile.mockRestore()

    const lines = readFileSync(path, 'utf8').split('\n')
    expect(lines).toHaveLength(N + 4)
    expect(verifyChain(lines)).toMatchObject({ ok: true, count: N + 3 })
    const first = JSON.parse(lines[0]!) as Record<string, unknown>
    expect(first).toMatchObject({ request: { path: '/v1/key/generate/k"0\n\\' }, decision: 'deny', message: "key 'k0'\ncreated", seq: 1 })
    expect(JSON.parse(lines[N + 2]!)).toMatchObject({ seq: N + 3, response: { code: (N + 2) % 7 === 0 ? 403 : 200 } })

    let out = ''
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true))
    try {
      await runAuditCommand(['verify', path])
    } finally {
      o.mockRestore()
    }
    expect(Number(process.exitCode ?? 0)).toBe(0)
    expect(out).toMatch(new RegExp(`^OK: ${N + 3} records`))
  })
})
