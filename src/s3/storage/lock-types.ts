/**
 * The shape of an object version's lock, apart from object-lock.ts so that the metadata tables
 * (meta.ts), which store it, do not import the lock rules built on them.
 *
 * @module
 */

/** A retention mode (S3's names, upper case only). */
export type RetentionMode = 'GOVERNANCE' | 'COMPLIANCE'

/** A legal hold status. */
export type LegalHoldStatus = 'ON' | 'OFF'

/** One object version's lock: retention (mode and date together) and legal hold, each optional. */
export interface VersionLock {
  mode?: RetentionMode
  /** Retain-until date, milliseconds since the epoch (UTC); present exactly when mode is. */
  until?: number
  legalHold?: LegalHoldStatus
}
