/**
 * The `key_deletion:` config section (Keyhold extension): off by default (KES's immediate
 * deletion), a Go duration when on, and `kesconf:` messages for values outside its bounds.
 */
import { describe, expect, it } from 'vitest'
import { parseConfig } from '../../../src/kms/config/load.js'
import { testPki } from '../../helpers/pki.js'

const pki = await testPki()
const base = (extra = '') =>
  `admin:\n  identity: ${pki.clients.admin.identity}\ntls:\n  key: ${pki.server.keyFile}\n  cert: ${pki.server.certFile}\nkeystore:\n  memory: {}\n${extra}`
const parse = (extra: string) => parseConfig(base(extra), '/etc/keyhold/config.yml', {})
const fail = (extra: string) => {
  try {
    parse(extra)
  } catch (err) {
    return (err as Error).message
  }
  throw new Error('config was accepted')
}

describe('key_deletion', () => {
  it('is off unless set: absent, 0 and off keep deletion immediate', () => {
    expect(parse('').keyDeletion).toBeUndefined()
    expect(parse('key_deletion:\n  wait: 0').keyDeletion).toBeUndefined()
    expect(parse('key_deletion:\n  wait: off').keyDeletion).toBeUndefined()
    expect(parse('key_deletion: {}').keyDeletion).toBeUndefined()
  })

  it('takes a Go duration', () => {
    expect(parse('key_deletion:\n  wait: 720h').keyDeletion).toEqual({ waitMs: 720 * 3_600_000 })
    expect(parse('key_deletion:\n  wait: 1m').keyDeletion).toEqual({ waitMs: 60_000 })
  })

  it.each([
    ['key_deletion:\n  wait: 30s', 'kesconf: invalid key_deletion config: wait must be at least 1m (or 0 / off to delete at once)'],
    ['key_deletion:\n  wait: 8761h', 'kesconf: invalid key_deletion config: wait must be at most 8760h'],
    ['key_deletion:\n  wait: 7 days', "kesconf: /etc/keyhold/config.yml:9: key_deletion.wait: invalid duration '7 days' (use e.g. 30s, 5m, 1h)"],
    ['key_deletion:\n  wiat: 1h', "kesconf: /etc/keyhold/config.yml:9: key_deletion.wiat: unknown field 'wiat'"],
  ])('refuses %j', (extra, message) => {
    expect(fail(extra)).toBe(message)
  })
})
