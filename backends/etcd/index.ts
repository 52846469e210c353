/**
 * The etcd keystore: keys in a replicated etcd cluster, with a watch that tells every server
 * sharing it about deletes and replacements. See docs/etcd.md.
 *
 * @module
 */
export { EtcdKeyStore, type EtcdConnectOptions } from './store.js'
export { ETCD_DEFAULTS, type EtcdConfig, type EtcdTlsConfig, type EtcdAuthConfig } from './config.js'
export { EtcdError, EtcdNetworkError } from './errors.js'
