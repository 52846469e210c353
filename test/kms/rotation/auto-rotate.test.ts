/**
 * Automatic rotation (docs/key-rotation.md, "Automatic rotation"): the `keys:` config with
 * `rotate:`, the schedule on a real server (due keys get a new version, others not, every
 * rotation audited), and two schedules on one keystore finding a key due at the same moment
 * rotating it once.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { MemoryKeyStore } from '../../../backends/memory.js'
import { parseConfig } from '../../../src/kms/config/load.js'
import { generateKeyVersion } from '../../../src/kms/crypto/key.js'
import { KeyCache } from '../../../src/kms/keystore/cache.js'
import { startRotationSchedule, tickMs } from '../../../src/kms/keystore/rotation-schedule.js'
import { VersionedKeyStore } from '../../../src/kms/keystore/versioned-store.js'
import type { AuditRecord } from '../../../src/kms/observability/audit-record.js'
import { silentLogger } from '../../../src/kms/observability/logger.js'
import { testPki, type TestPki } from '../../helpers/pki.js'
import { startTestServer } from '../../helpers/server.js'

let pki: TestPki
beforeAll(async () => {
  pki = await testPki()
})

const config = (keys: string) =>
  parseConfig(`admin:\n  identity: ${pki.clients.admin.identity}\ntls:\n  key: ${pki.server.keyFile}\n  cert: ${pki.server.certFile}\nkeystore:\n  memory: {}\n${keys}`, '/etc/keyhold/config.yml', {})
const fail = (keys: string) => {
  try {
    config(keys)
  } catch (err) {
    return (err as Error).message
  }
  throw new Error('config was accepted')
}

describe('keys: with rotate:', () => {
  it('reads periods in days or Go durations, for names (also created) and patterns (rotated only)', () => {
    const c = config("keys:\n  - name: k1\n    rotate: 90d\n  - name: k2\n  - pattern: 'tenant-*'\n    rotate: 720h\n  - pattern: exact\n    rotate: 90s")
    expect(c.keys).toEqual(['k1', 'k2'])
    expect(c.rotation).toEqual([
      { pattern: 'k1', everyMs: 90 * 86_400_000 },
      { pattern: 'tenant-*', everyMs: 720 * 3_600_000 },
      { pattern: 'exact', everyMs: 90_000 },
    ])
    expect(config('keys:\n  - name: k1').rotation).toBeUndefined()
  })

  it.each([
    ['keys:\n  - name: a\n    pattern: b*\n    rotate: 1d', "kesconf: invalid keys entry: give either 'name' or 'pattern'"],
    ['keys:\n  - rotate: 1d', "kesconf: invalid keys entry: give either 'name' or 'pattern'"],
    ["keys:\n  - pattern: 'a*'", "kesconf: key pattern 'a*' needs 'rotate'"],
    ["keys:\n  - pattern: 'a/b*'\n    rotate: 1d", "kesconf: invalid key pattern 'a/b*'"],
    ['keys:\n  - name: a\n    rotate: 500ms', "invalid rotation period '500ms'"],
    ['keys:\n  - name: a\n    rotate: 3 days', "invalid rotation period '3 days'"],
    ['keys:\n  - name: a\n    rotate: 0d', "invalid rotation period '0d'"],
  ])('refuses %j', (keys, message) => {
    expect(fail(keys)).toContain(message)
  })

  it('looks a tenth of the shortest period apart, within 1 s … 10 min', () => {
    expect(tickMs([])).toBe(600_000)
    expect(tickMs([{ pattern: 'a', everyMs: 86_400_000 }])).toBe(600_000)
    expect(tickMs([{ pattern: 'a', everyMs: 86_400_000 }, { pattern: 'b', everyMs: 60_000 }])).toBe(6_000)
    expect(tickMs([{ pattern: 'a', everyMs: 1000 }])).toBe(1000)
  })
})

describe('the schedule on a server', () => {
  it('rotates due keys matched by a rule, leaves the others, and audits each rotation', async () => {
    const audit: AuditRecord[] = []
    const s = await startTestServer({ rotation: [{ pattern: 'auto-*', everyMs: 2000 }, { pattern: 'solo', everyMs: 2000 }] }, { audit: (r) => audit.push(r) })
    const admin = pki.clients.admin
    for (const n of ['auto-a', 'auto-b', 'solo', 'manual']) expect((await s.call(admin, 'POST', `/v1/key/create/${n}`)).status).toBe(200)
    const sealed = await s.call(admin, 'POST', '/v1/key/encrypt/auto-a', { plaintext: Buffer.from('v1').toString('base64') })
    const version = async (n: string) => ((await s.call(admin, 'GET', `/v1/key/describe/${n}`)).json as { version?: number }).version ?? 1
    const deadline = Date.now() + 15_000
    while ((await version('auto-a')) < 2 || (await version('auto-b')) < 2 || (await version('solo')) < 2) {
      if (Date.now() > deadline) throw new Error('keys were not rotated in time')
      await new Promise((r) => setTimeout(r, 250))
    }
    expect(await version('manual')).toBe(1)
    const open = await s.call(admin, 'POST', '/v1/key/decrypt/auto-a', { ciphertext: (sealed.json as { ciphertext: string }).ciphertext })
    expect(Buffer.from((open.json as { plaintext: string }).plaintext, 'base64').toString()).toBe('v1')
    const first = audit.find((r) => r.path === '/v1/key/rotate/auto-a')!
    expect(first).toMatchObject({ method: 'PUT', status: 200, identity: '', decision: 'none', message: "secret key 'auto-a' rotated to version 2 (automatic: every 2s)" })
    expect(audit.map((r) => r.path)).not.toContain('/v1/key/rotate/manual')
    // Each version lives its period: no key was rotated twice within 2 s.
    for (const path of new Set(audit.map((r) => r.path))) {
      const records = audit.filter((r) => r.path === path)
      for (let i = 1; i < records.length; i++) expect(records[i]!.time.getTime() - records[i - 1]!.time.getTime()).toBeGreaterThanOrEqual(1900)
    }
  }, 30_000)
})

describe('two schedules on one keystore', () => {
  it('rotate a key that falls due for both at the same moment once', async () => {
    const backend = new MemoryKeyStore()
    const caches = [0, 1].map(() => new KeyCache(new VersionedKeyStore(backend), { anyMs: 60_000, unusedMs: 0, offlineMs: 0, probeMs: 0 }))
    await caches[0]!.create('shared', generateKeyVersion('test'), AbortSignal.timeout(5000))
    const audits: AuditRecord[] = []
    const schedules = caches.map((keys) => startRotationSchedule({
      keys, rules: () => [{ pattern: 'shared', everyMs: 1000 }], createdBy: () => 'test', log: silentLogger(), onRotated: (r) => audits.push(r),
    }))
    try {
      for (let round = 1; round <= 3; round++) {
        await new Promise((r) => setTimeout(r, 1100))
        await Promise.all(schedules.map((s) => s.tick()))
        expect(audits.length).toBe(round)
      }
      const names = (await backend.list('shared', 0, AbortSignal.timeout(5000))).names
      expect(names).toEqual(['shared', 'shared-v1-', 'shared-v2-', 'shared-v3-', 'shared-v4-'])
    } finally {
      for (const s of schedules) await s.stop()
      for (const c of caches) await c.close()
    }
  }, 30_000)
})
