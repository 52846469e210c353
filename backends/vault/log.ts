/**
 * The logging hook of the Vault keystore: the server passes its error logger; the default writes
 * one JSON line to stderr. Messages and fields never contain tokens, secrets or key values.
 *
 * @module
 */

/** Log levels the keystore uses. */
export type VaultLogLevel = 'info' | 'warn' | 'error'

/** VaultLog receives the keystore's log lines. Must not throw. */
export type VaultLog = (level: VaultLogLevel, msg: string, fields?: Record<string, unknown>) => void

/** stderrLog writes `{"level","msg",...fields}` lines to stderr. */
export const stderrLog: VaultLog = (level, msg, fields) => {
  process.stderr.write(JSON.stringify({ level, time: new Date().toISOString(), msg, ...fields }) + '\n')
}
