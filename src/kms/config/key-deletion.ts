/**
 * The `key_deletion:` section (Keyhold extension): how long a deleted key waits before it is
 * purged (docs/operations.md, "Key states and safe deletion").
 *
 * @module
 */
import type { RawConfig } from './schema.js'
import { ConfigError } from './source.js'
import { KEY_DELETION_WAIT_BOUNDS, type ServerConfig } from './types.js'

/**
 * keyDeletionConfig validates `key_deletion.wait`: absent, `0` or `off` keeps KES's immediate
 * deletion. Throws ConfigError for a wait outside {@link KEY_DELETION_WAIT_BOUNDS}.
 */
export function keyDeletionConfig(raw: RawConfig['key_deletion']): ServerConfig['keyDeletion'] {
  const wait = raw?.wait
  if (wait === undefined || wait === null || wait === 0) return undefined
  // The messages spell the bounds in Go's units, as the config is written.
  const { minMs, maxMs } = KEY_DELETION_WAIT_BOUNDS
  if (wait < minMs) throw new ConfigError(`invalid key_deletion config: wait must be at least 1m (or 0 / off to delete at once)`)
  if (wait > maxMs) throw new ConfigError(`invalid key_deletion config: wait must be at most 8760h`)
  return { waitMs: wait }
}
