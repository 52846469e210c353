/**
 * The KMS error log: the shared pino logger (src/lib/logger.ts) as `svc: keyhold`, JSON lines to stderr (KES
 * writes its error log to stderr). Audit is a separate sink (audit-log.ts). Request bodies, keys, plaintexts
 * and auth headers are never passed to the logger.
 *
 * @module
 */
import type { DestinationStream, Logger } from 'pino'
import { createServiceLogger } from '../../lib/logger.js'
import type { LogLevel } from '../config/types.js'

export type { Logger } from 'pino'
export { silentLogger } from '../../lib/logger.js'

/**
 * createLogger makes the error logger at `level` writing to `destination` (default stderr).
 * Throws nothing.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return createServiceLogger('keyhold', level, destination)
}
