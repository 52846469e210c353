/**
 * PKI helpers shared by the server, the CLI, keyhold-s3 and the tests.
 *
 * @module
 */
export * from './keys.js'
export * from './identity.js'
export * from './certificate.js'
export * from './api-key.js'
export * from '../lib/pem-files.js'
export { checkKeyPair, KeyPairError, type KeyPairProblem } from '../lib/tls-files.js'
