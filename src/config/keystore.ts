/**
 * Connecting the configured keystore: the one place in src/ that knows every backend
 * (KES `kesconf.KeyStore.Connect`).
 *
 * @module
 */
import { MemoryKeyStore } from '../../backends/memory.js'
import { FileKeyStore } from '../../backends/fs.js'
import type { KeyStore } from '../keystore/keystore.js'
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
      return FileKeyStore.open(config.path)
    case 'vault':
      return connectVault(config.config, log)
    case 'etcd':
      return connectEtcd(config.config, log)
    case 'instance':
      return config.store
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
