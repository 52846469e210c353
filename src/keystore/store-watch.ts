/**
 * Connects a keystore that can notify (the optional `KeyStore.watch`, e.g. etcd's) to a key
 * cache: a key that any server deletes or replaces is dropped from this cache at once, and the
 * whole cache when the store may have missed changes. Each process (every cluster worker too)
 * opens its own keystore, so each gets the notifications itself.
 *
 * @module
 */
import type { KeyStore } from './keystore.js'

/** What {@link followStoreChanges} needs of a cache. */
export interface Invalidatable {
  invalidate(name: string): void
  invalidateAll(): void
}

/**
 * followStoreChanges subscribes `cache` to `store`'s change notifications, if it has any.
 * Returns the function that unsubscribes (a no-op for stores that cannot notify). Throws nothing.
 */
export function followStoreChanges(store: KeyStore, cache: Invalidatable): () => void {
  if (store.watch === undefined) return () => {}
  return store.watch((name) => cache.invalidate(name), () => cache.invalidateAll())
}
