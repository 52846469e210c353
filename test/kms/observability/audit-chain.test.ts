import { describe, expect, it } from 'vitest'
import { AuditChain, GENESIS_HASH, parseSealedLine, verifyChain } from '../../../src/kms/observability/audit-chain.js'

function sealed(n: number, chain = new AuditChain()): string[] {
  const lines: string[] = []
  for (let i = 0; i < n; i++) lines.push(chain.seal({ time: `t${i}`, request: { path: `/v1/key/create/k${i}` }, response: { code: 200 } }).slice(0, -1))
  return lines
}

describe('audit chain', () => {
  it('seals lines that link to each other and verify', () => {
    const lines = sealed(5)
    expect(JSON.parse(lines[0]!)).toMatchObject({ seq: 1, prev: GENESIS_HASH })
    expect(JSON.parse(lines[1]!).prev).toBe(JSON.parse(lines[0]!).hash)
    expect(verifyChain([...lines, ''])).toMatchObject({ ok: true, count: 5 })
    expect(verifyChain([])).toMatchObject({ ok: true, count: 0 })
  })

  it('detects a changed record', () => {
    const lines = sealed(4)
    lines[2] = lines[2]!.replace('/v1/key/create/k2', '/v1/key/create/kX')
    expect(verifyChain(lines)).toMatchObject({ ok: false, line: 3, kind: 'changed' })
  })

  it('detects a record rewritten with a recomputed hash by the broken link after it', () => {
    const lines = sealed(4)
    // Re-seal a forged record 2 on top of record 1's state.
    const forger = new AuditChain({ seq: 1, hash: JSON.parse(lines[0]!).hash })
    lines[1] = forger.seal({ time: 'forged' }).slice(0, -1)
    expect(parseSealedLine(lines[1]!)).toMatchObject({ seq: 2 })
    expect(verifyChain(lines)).toMatchObject({ ok: false, line: 2, kind: 'changed' })
  })

  it('detects removed records, at the start and in the middle', () => {
    const lines = sealed(6)
    expect(verifyChain([...lines.slice(0, 2), ...lines.slice(4)])).toMatchObject({ ok: false, line: 3, kind: 'removed', message: expect.stringContaining('records 3-4 removed') })
    expect(verifyChain(lines.slice(1))).toMatchObject({ ok: false, line: 1, kind: 'removed', message: expect.stringContaining('record 1 removed') })
  })

  it('detects reordered records', () => {
    const lines = sealed(4)
    const swapped = [lines[0]!, lines[2]!, lines[1]!, lines[3]!]
    // Record 3 arriving where 2 belongs looks like a removal of 2; the verifier then stops there.
    expect(verifyChain(swapped)).toMatchObject({ ok: false, line: 2 })
    const moved = [lines[0]!, lines[1]!, lines[2]!, lines[1]!]
    expect(verifyChain(moved)).toMatchObject({ ok: false, line: 4, kind: 'reordered' })
  })

  it('rejects garbage, duplicates and blank lines inside', () => {
    const lines = sealed(3)
    expect(verifyChain([lines[0]!, 'hello', lines[1]!])).toMatchObject({ ok: false, line: 2, kind: 'changed' })
    expect(verifyChain([lines[0]!, '', lines[1]!])).toMatchObject({ ok: false, line: 2, kind: 'changed' })
    expect(verifyChain([lines[0]!, lines[0]!])).toMatchObject({ ok: false, line: 2, kind: 'reordered' })
  })

  it('continues a chain from a saved state', () => {
    const a = new AuditChain()
    const first = sealed(3, a)
    const rest = sealed(2, new AuditChain(a.state))
    expect(verifyChain([...first, ...rest])).toMatchObject({ ok: true, count: 5 })
  })
})
