/**
 * The HashiCorp Vault keystore (KES-compatible storage layout). See docs/vault.md.
 *
 * @module
 */
export { VaultKeyStore, type VaultConnectOptions } from './store.js'
export { VAULT_DEFAULTS, type VaultConfig, type VaultAppRoleConfig, type VaultKubernetesConfig, type VaultTransitConfig, type VaultTlsConfig } from './config.js'
export type { VaultLog, VaultLogLevel } from './log.js'
export { VaultHttpError, VaultNetworkError } from './errors.js'
