/**
 * The KES client library: {@link KesClient} and its errors and answer types.
 *
 * @module
 */
export { KesClient, answeredBy, type KesClientOptions } from './kes-client.js'
export { KesError, KesConnectionError, isKeyNotFound, isKeyExists, isDecryptFailed, isNotAllowed } from './errors.js'
export { parseEndpoint, isLocalhost, type Endpoint } from './endpoints.js'
export type * from './types.js'
export { clientOptionsFromEnv, serversFromEnv, ClientEnvError, DEFAULT_SERVER, ENV as CLIENT_ENV } from './env.js'
