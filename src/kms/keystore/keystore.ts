/**
 * The keystore contract: durable, concurrency-safe storage of opaque key blobs.
 *
 * Every backend in `backends/` implements {@link KeyStore} and imports nothing else from `src/`.
 * Keys are immutable: the only update is a rotation's optional conditional {@link KeyStore.replace}
 * of a key's current version (the older versions live at names of their own). The store sees only the
 * encoded bytes that `src/crypto` produces; it never parses them.
 *
 * @module
 */

/** What happened to a name, as {@link KeyStore.watch} reports it; a {@link KeyStore.replace} is reported as `'created'`. */
export type KeyChange = 'created' | 'deleted'

/** Reachability report of a keystore. */
export interface KeyStoreState {
  /** Round-trip time of the status probe, in milliseconds. */
  latencyMs: number
}

/** One page of a listing: `next` is the name to continue at, or `''` at the end. */
export interface KeyListPage {
  names: string[]
  next: string
}

/**
 * KeyStore stores encoded keys by name.
 *
 * Implementations throw only {@link KeyExistsError}, {@link KeyNotFoundError},
 * {@link UnreachableError}, or a plain `Error` (with `cause`) for any other failure; callers
 * map the plain `Error` to 502 without showing its text to clients.
 */
export interface KeyStore {
  /** Probes the backend. Throws UnreachableError when it cannot be reached. */
  status(signal: AbortSignal): Promise<KeyStoreState>
  /**
   * Creates `name` iff absent. Throws KeyExistsError when it exists. Exclusive between different
   * values only: a store may take finding exactly its own value after a lost answer as its own
   * write having landed (Vault), so a caller that must know it alone created the entry writes a
   * value unique to the call (key material is; a purge claim carries a nonce).
   */
  create(name: string, value: Uint8Array, signal: AbortSignal): Promise<void>
  /** Returns a copy of the stored value. Throws KeyNotFoundError when absent. */
  get(name: string, signal: AbortSignal): Promise<Uint8Array>
  /** Removes `name`. Throws KeyNotFoundError when absent. */
  delete(name: string, signal: AbortSignal): Promise<void>
  /**
   * Optional, for a store with atomic conditional writes (etcd): stores `value` at `name` iff
   * `name` holds exactly `expected`, in one step. Resolves true when it did, false when `name`
   * holds another value. Throws KeyNotFoundError when `name` is absent. Rotation uses it to make a
   * new version current: without it, rotation replaces a key with a delete and a create, and a
   * deletion by another server can fall in between and be undone (docs/key-rotation.md).
   */
  replace?(name: string, expected: Uint8Array, value: Uint8Array, signal: AbortSignal): Promise<boolean>
  /**
   * Lists names starting with `prefix` in ascending order: at most `limit` of them
   * (all when `limit <= 0`), and `next`, the first name not returned, or `''` at the end.
   */
  list(prefix: string, limit: number, signal: AbortSignal): Promise<KeyListPage>
  /**
   * Optional, for a store that can notify (e.g. an etcd watch): calls `onChange(name, change)`
   * whenever `name` is created or deleted by anyone, in the order the store applied the changes,
   * so that caches in front of it (also those of other servers sharing it) drop the key at once
   * instead of serving it until `cache.expiry.any`. Calls `onReset()` when changes may have been
   * missed, including those made before the watch began (drop every cached key).
   * Returns the function that stops watching. Must not throw.
   */
  watch?(onChange: (name: string, change: KeyChange) => void, onReset?: () => void): () => void
  /** Releases timers and sockets. Idempotent. */
  close(): Promise<void>
  /** A label for logs, e.g. `Filesystem: /var/lib/keyhold`. Never contains secrets. */
  toString(): string
}

/** KeyExistsError: `create` found a key of that name. */
export class KeyExistsError extends Error {
  readonly code = 'KEY_EXISTS'
  constructor(name: string) {
    super(`key '${name}' already exists`)
    this.name = 'KeyExistsError'
  }
}

/** KeyNotFoundError: no key of that name. */
export class KeyNotFoundError extends Error {
  readonly code = 'KEY_NOT_FOUND'
  constructor(name: string) {
    super(`key '${name}' does not exist`)
    this.name = 'KeyNotFoundError'
  }
}

/** UnreachableError: the backend could not be reached (network, sealed Vault, missing directory). */
export class UnreachableError extends Error {
  readonly code = 'KEYSTORE_UNREACHABLE'
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'UnreachableError'
  }
}

/** Reports whether `err` says the keystore is unreachable. */
export function isUnreachable(err: unknown): err is UnreachableError {
  return err instanceof UnreachableError
}

/**
 * listPage cuts one page out of a name set, the shared listing logic of every backend.
 * `names` need not be sorted.
 */
export function listPage(names: Iterable<string>, prefix: string, limit: number): KeyListPage {
  const matching = [...names].filter((n) => n.startsWith(prefix)).sort()
  if (limit <= 0 || matching.length <= limit) return { names: matching, next: '' }
  return { names: matching.slice(0, limit), next: matching[limit] ?? '' }
}
