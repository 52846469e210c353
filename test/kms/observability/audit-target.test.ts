import { describe, expect, it } from 'vitest'
import { InvalidAuditTargetError, parseAuditTarget, parseLogLevel } from '../../../src/kms/observability/audit-target.js'

describe('log.audit values', () => {
  it('keeps KES levels: stdout at INFO or below, off above', () => {
    expect(parseAuditTarget(undefined)).toEqual({ kind: 'stdout' })
    for (const v of ['on', 'ON', 'info', 'DEBUG', 'INFO-2', '0', '-4', true]) expect(parseAuditTarget(v)).toEqual({ kind: 'stdout' })
    for (const v of ['off', 'WARN', 'ERROR', 'INFO+1', '4', false]) expect(parseAuditTarget(v)).toEqual({ kind: 'off' })
  })

  it('reads a value with a slash as a file path', () => {
    expect(parseAuditTarget('/var/log/keyhold/audit.log')).toEqual({ kind: 'file', path: '/var/log/keyhold/audit.log' })
    expect(parseAuditTarget('./audit.log')).toEqual({ kind: 'file', path: './audit.log' })
  })

  it('rejects anything else', () => {
    expect(() => parseAuditTarget('audit.log')).toThrow(InvalidAuditTargetError)
    expect(() => parseAuditTarget('loud')).toThrow(/invalid audit log 'loud'/)
    expect(parseLogLevel('WARN+2')).toBe(6)
    expect(parseLogLevel('nope')).toBeUndefined()
  })
})
