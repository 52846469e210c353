/**
 * Connecting the configured keystore: the one place in src/ that knows every backend
 * (KES `kesconf.KeyStore.Connect`).
 *
 * @module
 */
import cluster from 'node:cluster'
import { MemoryKeyStore } from '../../../backends/memory.js'
import { FileKeyStore } from '../../../backends/fs.js'
import type { KeyStore } from '../keystore/keystore.js'
import { VersionedKeyStore } from '../keystore/versioned-store.js'
import type { Logger } from '../observability/logger.js'
import { connectVault } from './vault.js'
import { connectEtcd } from './etcd.js'
import type { KeystoreConfig } from './types.js'

/**
 * connectKeystore opens the configured backend; `log` receives backend warnings (Vault, etcd).
 * Throws what the backend's constructor throws.
 */
export async function connectKeystore(config: KeystoreConfig, log?: Logger): Promise<KeyStore> {
  switch (config.kind) {
    case 'memory':
      return new MemoryKeyStore()
    case 'fs':
      // A worker must not sweep: its siblings may be mid-create. The primary swept before forking.
      return FileKeyStore.open(config.path, { sweep: !cluster.isWorker })
    case 'vault':
      return connectVault(config.config, log)
    case 'etcd':
      return connectEtcd(config.config, log)
    case 'instance':
      return config.store
  }
}

/**
 * prepareKeystore does the start-up upkeep a keystore needs once per server, before any worker
 * opens it: the fs keystore's sweep of temp files left by dead writers, and putting back keys a
 * rotation of an older version left half-replaced (it replaced a key by a delete and a create; a
 * crash in between left only the parked copy). Returns the names put back. Throws what the sweep or
 * the keystore throws (an unreadable directory).
 */
export async function prepareKeystore(config: KeystoreConfig): Promise<string[]> {
  if (config.kind !== 'fs') return []
  const store = await FileKeyStore.open(config.path)
  try {
    return await new VersionedKeyStore(store).finishInterruptedRotations(AbortSignal.timeout(60_000))
  } finally {
    await store.close()
  }
}

/** sameKeystore reports whether two keystore configs name the same store (reload cannot switch stores). */
export function sameKeystore(a: KeystoreConfig, b: KeystoreConfig): boolean {
  if (a.kind !== b.kind) return false
  if (a.kind === 'fs' && b.kind === 'fs') return a.path === b.path
  if (a.kind === 'vault' && b.kind === 'vault') return JSON.stringify(a.config) === JSON.stringify(b.config)
  if (a.kind === 'etcd' && b.kind === 'etcd') return JSON.stringify(a.config) === JSON.stringify(b.config)
  if (a.kind === 'instance' && b.kind === 'instance') return a.store === b.store
  return true
}
