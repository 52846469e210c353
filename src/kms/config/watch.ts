/**
 * What the KMS server watches on disk while it runs: the policy file (a change reloads the configuration) and
 * the TLS files (a change re-reads the certificate), both with the one change detector
 * (src/lib/file-changes.ts). A reload that names other files moves the watches along.
 *
 * @module
 */
import { watchFileChanges, type FileChangeWatch } from '../../lib/file-changes.js'
import type { ServerConfig } from './types.js'

/** How often the policy file is polled for changes (fs.watch usually nudges a poll sooner). */
const POLICY_POLL_MS = 5_000
/** A policy file must stay unchanged this long before it is read: one rewritten in place may be half-written. */
const POLICY_SETTLE_MS = 1_000

/** Options of {@link watchConfigFiles}. */
export interface ConfigFileWatchOptions {
  /** Watch the policy file (false: only SIGHUP or reload() re-read it). */
  policyFile: boolean
  /** Poll interval of the TLS files in ms; 0 turns their watch off. */
  tlsRefreshMs: number
  onPolicyChange(): void
  onTlsChange(): void
}

/** The running watches. */
export interface ConfigFileWatch {
  /** follow points the watches at the files `config` names (a no-op when they are the same). Throws nothing. */
  follow(config: ServerConfig): void
  close(): void
}

/** watchConfigFiles starts watching the files `config` names. Throws nothing. */
export function watchConfigFiles(config: ServerConfig, opts: ConfigFileWatchOptions): ConfigFileWatch {
  let policy: { key: string; changes: FileChangeWatch } | undefined
  let tls: { key: string; changes: FileChangeWatch } | undefined
  const follow = (c: ServerConfig): void => {
    const policyKey = opts.policyFile && c.policyFile !== undefined ? c.policyFile : ''
    if ((policy?.key ?? '') !== policyKey) {
      policy?.changes.close()
      // Edited by hand: fs.watch nudges an early poll, so a saved file takes effect within a moment.
      policy = policyKey === '' ? undefined : {
        key: policyKey,
        changes: watchFileChanges([policyKey], opts.onPolicyChange, { pollMs: POLICY_POLL_MS, nudge: true, settleMs: POLICY_SETTLE_MS }),
      }
    }
    const files = c.tls.files
    const tlsPaths = files === undefined ? [] : [files.key, files.cert, ...(files.ca === undefined ? [] : [files.ca])]
    const tlsKey = opts.tlsRefreshMs > 0 ? tlsPaths.join('\0') : ''
    if ((tls?.key ?? '') !== tlsKey) {
      tls?.changes.close()
      tls = tlsKey === '' ? undefined : { key: tlsKey, changes: watchFileChanges(tlsPaths, opts.onTlsChange, { pollMs: opts.tlsRefreshMs }) }
    }
  }
  follow(config)
  return {
    follow,
    close() {
      policy?.changes.close()
      tls?.changes.close()
    },
  }
}
