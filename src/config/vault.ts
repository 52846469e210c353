/**
 * The `keystore.vault` section of the server config and how it connects.
 * (Placeholder until the Vault keystore lands: see issue "Vault keystore".)
 *
 * @module
 */
import type { KeyStore } from '../keystore/keystore.js'

/** parseVaultConfig validates the raw `keystore.vault` YAML value. Throws an Error naming the field. */
export function parseVaultConfig(_raw: unknown): unknown {
  throw new Error('kesconf: the vault keystore is not supported yet')
}

/** connectVault connects a parsed Vault config. Throws when Vault cannot be configured. */
export function connectVault(_config: unknown): Promise<KeyStore> {
  return Promise.reject(new Error('kesconf: the vault keystore is not supported yet'))
}
