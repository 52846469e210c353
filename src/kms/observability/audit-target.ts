/**
 * Where the audit log goes, from the config's `log.audit` value.
 *
 * KES takes a level there (`on`, `off`, `DEBUG`, `INFO`, `WARN`, `ERROR`, `LEVEL+n`, or an integer
 * as Go's slog counts: DEBUG -4, INFO 0, WARN 4, ERROR 8) and writes audit lines to stdout when
 * the level is INFO or lower. Keyhold keeps all of those and adds one form: a value containing a
 * `/` is a file path (`/var/log/keyhold/audit.log`, `./audit.log`), written as a hash-chained
 * file instead of stdout. No level can contain a `/`, so the two forms never collide.
 *
 * @module
 */

/** AuditTarget: where audit records are written (the live stream at /v1/log/audit is always on). */
export type AuditTarget = { kind: 'off' } | { kind: 'stdout' } | { kind: 'file'; path: string }

/** InvalidAuditTargetError: `log.audit` is neither a level nor a path. */
export class InvalidAuditTargetError extends Error {
  constructor(value: string) {
    super(`invalid audit log '${value}': want on, off, a level (DEBUG, INFO, WARN, ERROR, INFO+2, -4) or a file path containing '/'`)
    this.name = 'InvalidAuditTargetError'
  }
}

const LEVELS: Record<string, number> = { DEBUG: -4, INFO: 0, WARN: 4, ERROR: 8 }
const INFO = 0

/**
 * parseLogLevel reads a KES log level into slog's integer scale: `on` is INFO, `off` is above
 * ERROR. Returns undefined for anything else. Throws nothing.
 */
export function parseLogLevel(value: string): number | undefined {
  const v = value.trim().toUpperCase()
  if (v === '' || v === 'ON') return INFO
  if (v === 'OFF') return LEVELS.ERROR! + 1
  if (/^[+-]?\d+$/.test(v)) return Number(v)
  const m = /^(DEBUG|INFO|WARN|ERROR)([+-]\d+)?$/.exec(v)
  if (!m) return undefined
  return LEVELS[m[1]!]! + (m[2] ? Number(m[2]) : 0)
}

/**
 * parseAuditTarget reads `log.audit` (undefined means KES's default, INFO: stdout). Throws
 * InvalidAuditTargetError when the value is neither a level nor a path.
 */
export function parseAuditTarget(value: string | boolean | undefined): AuditTarget {
  // YAML reads a bare on/off as a boolean in some schemas.
  if (value === undefined || value === true) return { kind: 'stdout' }
  if (value === false) return { kind: 'off' }
  if (value.includes('/')) return { kind: 'file', path: value.trim() }
  const level = parseLogLevel(value)
  if (level === undefined) throw new InvalidAuditTargetError(value)
  return level <= INFO ? { kind: 'stdout' } : { kind: 'off' }
}
