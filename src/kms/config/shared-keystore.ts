/**
 * Several Keyhold servers on one keystore: what one server's key change means for the others.
 *
 * Inside one server every worker drops a changed key before the change is answered (see
 * src/kms/keystore/peers.ts). Other servers on the same keystore are not told: they keep a cached
 * key for up to `cache.expiry.any` after they loaded it, so a key deleted (or deleted and
 * re-created) through one server is still served, with its old material, by another for up to
 * that long. A keystore that can notify (KeyStore.watch) lifts that bound; none does today.
 *
 * The bound is reported twice: one line at start-up when it is long, and a response header on a
 * successful key delete ({@link SHARED_KEYSTORE_HEADER}), from which `keyhold key rm` prints a
 * note. The header is not KES wire (KES clients ignore it); it tells only the identity allowed
 * to delete keys the expiry setting and that the keystore kind can be shared: no endpoint, no
 * name, nothing secret.
 *
 * @module
 */
import type { ServerConfig } from './types.js'

/** Keystore kinds that several servers can use at once. The fs keystore is one server's directory. */
const SHAREABLE: ReadonlySet<string> = new Set(['vault'])

/** Above this bound the start-up line is printed. */
const LONG_BOUND_MS = 60_000

/**
 * The response header of a successful key delete on a shareable keystore:
 * `cache-expiry-any=<seconds>` (`never` when the expiry is off).
 */
export const SHARED_KEYSTORE_HEADER = 'Keyhold-Shared-Keystore'

/**
 * sharedKeystoreBoundMs returns how long another server on the same keystore may still serve a
 * key changed through this one (Infinity when `cache.expiry.any` is off), or undefined when the
 * keystore is not shared. Throws nothing.
 */
export function sharedKeystoreBoundMs(config: Pick<ServerConfig, 'keystore' | 'cache'>): number | undefined {
  if (!SHAREABLE.has(config.keystore.kind)) return undefined
  return config.cache.anyMs > 0 ? config.cache.anyMs : Infinity
}

/** sharedKeystoreHeader returns the value of {@link SHARED_KEYSTORE_HEADER}, or undefined when not shared. Throws nothing. */
export function sharedKeystoreHeader(config: Pick<ServerConfig, 'keystore' | 'cache'>): string | undefined {
  const bound = sharedKeystoreBoundMs(config)
  if (bound === undefined) return undefined
  return `cache-expiry-any=${bound === Infinity ? 'never' : Math.ceil(bound / 1000)}`
}

/**
 * parseSharedKeystoreHeader reads the header's bound in seconds (Infinity for `never`), or
 * undefined when absent or not understood. Throws nothing.
 */
export function parseSharedKeystoreHeader(value: string | string[] | undefined): number | undefined {
  const m = typeof value === 'string' ? /^cache-expiry-any=(\d{1,12}|never)$/.exec(value.trim()) : null
  if (m === null) return undefined
  return m[1] === 'never' ? Infinity : Number(m[1])
}

/** sharedKeystoreWarning returns the one start-up line for a shared keystore with a long bound, else undefined. Throws nothing. */
export function sharedKeystoreWarning(config: Pick<ServerConfig, 'keystore' | 'cache'>): string | undefined {
  const bound = sharedKeystoreBoundMs(config)
  if (bound === undefined || bound <= LONG_BOUND_MS) return undefined
  const shown = bound === Infinity ? 'ever (cache.expiry.any is off)' : `up to ${Math.round(bound / 1000)}s (cache.expiry.any)`
  return (
    `keyhold: note: the ${config.keystore.kind} keystore can be shared by several Keyhold servers; a key deleted or re-created ` +
    `through another server stays usable, with its old material, on this one for ${shown}: lower cache.expiry.any if servers share it`
  )
}
