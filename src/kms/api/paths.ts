/**
 * Every KES API path, spelled once. A trailing `/` marks a route that takes a resource (a key
 * name, a listing pattern, an identity) after the prefix. Policies match these paths, so they are
 * part of the permission vocabulary: keep them stable.
 *
 * @module
 */

export const PATH_VERSION = '/version'
export const PATH_READY = '/v1/ready'
export const PATH_STATUS = '/v1/status'
export const PATH_METRICS = '/v1/metrics'
export const PATH_API = '/v1/api'

export const PATH_KEY_CREATE = '/v1/key/create/'
export const PATH_KEY_IMPORT = '/v1/key/import/'
export const PATH_KEY_DESCRIBE = '/v1/key/describe/'
export const PATH_KEY_LIST = '/v1/key/list/'
export const PATH_KEY_DELETE = '/v1/key/delete/'
export const PATH_KEY_ENCRYPT = '/v1/key/encrypt/'
export const PATH_KEY_GENERATE = '/v1/key/generate/'
export const PATH_KEY_DECRYPT = '/v1/key/decrypt/'
export const PATH_KEY_BULK_DECRYPT = '/v1/key/bulk/decrypt/'
export const PATH_KEY_HMAC = '/v1/key/hmac/'
/** Keyhold's own (KES has no rotation): docs/key-rotation.md. */
export const PATH_KEY_ROTATE = '/v1/key/rotate/'
// Keyhold extensions: key states (docs/operations.md, "Key states and safe deletion").
export const PATH_KEY_STATE = '/v1/key/state/'
export const PATH_KEY_DISABLE = '/v1/key/disable/'
export const PATH_KEY_ENABLE = '/v1/key/enable/'
export const PATH_KEY_RESTORE = '/v1/key/restore/'

export const PATH_POLICY_DESCRIBE = '/v1/policy/describe/'
export const PATH_POLICY_READ = '/v1/policy/read/'
export const PATH_POLICY_LIST = '/v1/policy/list/'
// Keyhold extension: why a request would be allowed or denied (docs/operations.md, "Policy explain").
export const PATH_POLICY_EXPLAIN = '/v1/policy/explain/'

export const PATH_IDENTITY_DESCRIBE = '/v1/identity/describe/'
export const PATH_IDENTITY_LIST = '/v1/identity/list/'
export const PATH_IDENTITY_SELF_DESCRIBE = '/v1/identity/self/describe'

export const PATH_LOG_ERROR = '/v1/log/error'
export const PATH_LOG_AUDIT = '/v1/log/audit'
