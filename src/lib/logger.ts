/**
 * The one logger of both servers, Keyhold and keyhold-s3: pino JSON lines with an ISO time, the level's name and
 * the service (`svc`), so the two logs (and the audit log) read alike. Keys, data keys, secrets and plaintext are
 * never passed to it; the redact list is a backstop in case someone does.
 *
 * @module
 */
import { pino, type DestinationStream, type LevelWithSilent, type Logger } from 'pino'

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
    },
    destination ?? pino.destination({ fd: 2, sync: false }),
  )
}

/** silentLogger discards everything (tests, embedding); throws nothing. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}

/**
 * messageLog adapts a logger to the plain message callback keyhold-s3's parts log through (`log(message)`), at
 * info; throws nothing.
 */
export function messageLog(logger: Logger): (message: string) => void {
  return (message) => logger.info(message)
}
