/**
 * Keystore metrics: a KeyStore wrapper that times every call to the backend, and the observer
 * the key cache reports hits and misses to. Both feed {@link KmsMetrics}.
 *
 * @module
 */
import type { KeyChange, KeyListPage, KeyStore, KeyStoreState } from '../keystore/keystore.js'
import type { KmsMetrics } from './metrics.js'

/** KeystoreObserver receives key lookups and backend call durations. Methods throw nothing. */
export interface KeystoreObserver {
  /** A key lookup: `hit` when the cache answered, else it went to the keystore. */
  lookup(hit: boolean): void
  /** One backend call took `seconds`. */
  keystoreCall(seconds: number): void
}

/** keystoreObserver feeds `metrics`. Throws nothing. */
export function keystoreObserver(metrics: KmsMetrics): KeystoreObserver {
  return {
    lookup: (hit) => (hit ? metrics.cacheHit() : metrics.cacheMiss()),
    keystoreCall: (seconds) => metrics.observeKeystore(seconds),
  }
}

/**
 * timedKeyStore wraps `store` so that every call's duration, failed or not, is reported. The
 * wrapper throws exactly what `store` throws.
 */
export function timedKeyStore(store: KeyStore, observer: KeystoreObserver): KeyStore {
  const timed = async <T>(call: () => Promise<T>): Promise<T> => {
    const start = process.hrtime.bigint()
    try {
      return await call()
    } finally {
      observer.keystoreCall(Number(process.hrtime.bigint() - start) / 1e9)
    }
  }
  return {
    status: (signal): Promise<KeyStoreState> => timed(() => store.status(signal)),
    create: (name, value, signal) => timed(() => store.create(name, value, signal)),
    get: (name, signal) => timed(() => store.get(name, signal)),
    delete: (name, signal) => timed(() => store.delete(name, signal)),
    list: (prefix, limit, signal): Promise<KeyListPage> => timed(() => store.list(prefix, limit, signal)),
    // Dropping an optional method would quietly weaken the store (rotation falls back to delete and create).
    ...(store.replace ? { replace: (name: string, expected: Uint8Array, value: Uint8Array, signal: AbortSignal) => timed(() => store.replace!(name, expected, value, signal)) } : {}),
    ...(store.watch ? { watch: (onChange: (name: string, change: KeyChange) => void, onReset?: () => void) => store.watch!(onChange, onReset) } : {}),
    close: () => store.close(),
    toString: () => store.toString(),
  }
}
