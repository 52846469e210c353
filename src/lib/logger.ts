/**
 * The one logger of both servers, Keyhold and keyhold-s3: pino JSON lines with an ISO time, the level's name and
 * the service (`svc`), so the two logs (and the audit log) read alike. Keys, data keys, secrets and plaintext are
 * never passed to it; the redact list is a backstop in case someone does.
 *
 * @module
 */
import { pino, type DestinationStream, type LevelWithSilent, type Logger } from 'pino'
import { safeJsonText } from './terminal-text.js'

export type { Logger } from 'pino'

const REDACT = [
  'key', '*.key', 'plaintext', '*.plaintext', 'ciphertext', '*.ciphertext', 'secret', '*.secret',
  'password', '*.password', 'headers.authorization', '*.headers.authorization',
]

/**
 * createServiceLogger makes the logger of `service` at `level`, writing to `destination` (default: stderr,
 * asynchronously). Throws nothing.
 */
export function createServiceLogger(service: string, level: LevelWithSilent, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { svc: service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT, censor: '[redacted]' },
      // Messages carry names a client chose (object keys, KMS error texts): an operator tailing the log on a
      // terminal must not have a bidi control reorder a line or a C1 control act on the terminal. JSON already
      // escapes C0 controls; the rest become \uXXXX escapes, which parse back to the same value.
      hooks: { streamWrite: safeJsonText },
    },
    destination ?? pino.destination({ fd: 2, sync: false }),
  )
}

/** silentLogger discards everything (tests, embedding); throws nothing. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}

/**
 * MessageLog is the levelled log keyhold-s3's parts write plain, human-readable lines through. The messages never
 * carry keys, secrets or plaintext.
 */
export interface MessageLog {
  /** What an operator wants to see happen: start-up, stop, a reload, a recovery. */
  info(message: string): void
  /** Trouble the server copes with: the KMS unreachable, a reload that failed (the old certificates stay). */
  warn(message: string): void
  /** An unexpected failure: an internal error, an authorizer or an admin handler that threw. */
  error(message: string): void
}

/** messageLog adapts a logger to {@link MessageLog}, each message at its level; throws nothing. */
export function messageLog(logger: Logger): MessageLog {
  return {
    info: (message) => logger.info(message),
    warn: (message) => logger.warn(message),
    error: (message) => logger.error(message),
  }
}

/** silentMessageLog discards every message (tests, embedding). */
export const silentMessageLog: MessageLog = Object.freeze({ info: () => undefined, warn: () => undefined, error: () => undefined })
