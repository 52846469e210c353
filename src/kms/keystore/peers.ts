/**
 * Cache peers: the other key caches in front of the same keystore that must forget a key the
 * moment it is created, imported or deleted here. In `keyhold server --workers N` each worker
 * has its own {@link KeyCache}; without this a deleted key stayed usable in the other workers
 * until `cache.expiry.any`, and a deleted-then-re-created key was served with its old material
 * (data keys sealed under key material that no longer exists: unrecoverable objects).
 *
 * In a cluster worker, src/kms/workers hands the worker's peers to the server it starts
 * (KmsServerOptions.peers; the primary fans an announcement out and waits for every worker's
 * acknowledgement). Outside a cluster there are no peers. Invalidation from the keystore itself (a store that can notify, e.g. an etcd watch)
 * goes through {@link KeyStore.watch} into the same {@link KeyCache.invalidate}.
 *
 * @module
 */

/** CachePeers connects a cache to the other caches of the same keys. */
export interface CachePeers {
  /**
   * announce tells every other cache that `name` changed and resolves once they all dropped it
   * (or could not be reached and were dealt with, e.g. restarted). Never rejects: the keystore
   * change it follows has happened, and implementations log their own failures.
   */
  announce(name: string): Promise<void>
  /** listen registers a cache's invalidation for announcements from the others; returns the unsubscribe. Throws nothing. */
  listen(invalidate: (name: string) => void): () => void
}
