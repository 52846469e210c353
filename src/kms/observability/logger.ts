/**
 * The error log: pino JSON lines to stderr (KES writes its error log to stderr). Audit is a
 * separate sink (audit-log.ts). Request bodies, keys, plaintexts and auth headers are never
 * passed to the logger; the redact list is a backstop in case someone does.
 *
 * @module
 */
import { pino, type DestinationStream, type Logger } from 'pino'
import type { LogLevel } from '../config/types.js'

export type { Logger } from 'pino'

const REDACT = [
  'key', '*.key', 'plaintext', '*.plaintext', 'ciphertext', '*.ciphertext', 'secret', '*.secret',
  'password', '*.password', 'headers.authorization', '*.headers.authorization',
]

/**
 * createLogger makes the error logger at `level` writing to `destination` (default stderr).
 * Throws nothing.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { svc: 'keyhold' },
      // ISO times and level names, as the audit log writes them, so both read alike.
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT, censor: '[redacted]' },
    },
    destination ?? pino.destination({ fd: 2, sync: false }),
  )
}

/** silentLogger discards everything (tests, embedding). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}
