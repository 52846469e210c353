/**
 * The error catalogue: every error a client can see, with KES's exact status and text
 * (docs/kes-compatibility.md, "Errors"). MinIO and kms-go match errors by (status, message), so
 * these strings are wire contract: never reword them.
 *
 * @module
 */

/** Stable internal code of an {@link ApiError}; logged and audited, never sent to clients. */
export type ApiErrorCode =
  | 'KEY_NOT_FOUND'
  | 'KEY_EXISTS'
  | 'KEY_DISABLED'
  | 'KEY_NOT_SCHEDULED'
  | 'KEY_STATE_CONFLICT'
  | 'POLICY_NOT_FOUND'
  | 'IDENTITY_NOT_FOUND'
  | 'NOT_ALLOWED'
  | 'INVALID_NAME'
  | 'INVALID_PATTERN'
  | 'INVALID_BODY'
  | 'METHOD_NOT_ALLOWED'
  | 'DECRYPT_FAILED'
  | 'TLS_CERT_REQUIRED'
  | 'TLS_TOO_MANY_CERTS'
  | 'TLS_REQUIRED'
  | 'NO_HMAC'
  | 'ALG_NOT_SUPPORTED'
  | 'INVALID_KEY_SIZE'
  | 'TOO_MANY_CIPHERTEXTS'
  | 'KEYSTORE_UNREACHABLE'
  | 'KEYSTORE_UNAVAILABLE'
  | 'KEYSTORE_FAILED'
  | 'INTERNAL'
  | 'NOT_IMPLEMENTED'
  | 'ROTATION_CONFLICT'

/**
 * ApiError is a failure with the HTTP status and the message a client sees.
 * `expose` says whether `message` may be shown (false for 5xx by default, as http-errors does);
 * the catalogue's 5xx texts are fixed and safe, so they set it explicitly.
 */
export class ApiError extends Error {
  readonly code: ApiErrorCode
  readonly status: number
  readonly expose: boolean

  constructor(code: ApiErrorCode, status: number, message: string, options?: { cause?: unknown; expose?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'ApiError'
    this.code = code
    this.status = status
    this.expose = options?.expose ?? status < 500
  }
}

/** isApiError reports whether `err` is an {@link ApiError}. */
export function isApiError(err: unknown): err is ApiError {
  return err instanceof ApiError
}

const fixed = (code: ApiErrorCode, status: number, message: string) => (cause?: unknown) =>
  new ApiError(code, status, message, { cause, expose: true })

// --- Keys ---
export const errKeyNotFound = fixed('KEY_NOT_FOUND', 404, 'key does not exist')
export const errKeyExists = fixed('KEY_EXISTS', 400, 'key already exists')
export const errDecrypt = fixed('DECRYPT_FAILED', 400, 'decryption failed: ciphertext is not authentic')
export const errNoHmac = fixed('NO_HMAC', 409, 'key does not support HMAC')
export const errInvalidBody = fixed('INVALID_BODY', 400, 'invalid request body')
export const errInvalidImportBody = fixed('INVALID_BODY', 400, 'invalid import key request body')
export const errTooManyCiphertexts = fixed('TOO_MANY_CIPHERTEXTS', 400, 'too many ciphertexts')
/** errAlgorithmNotSupported: import with an unknown cipher name (406, KES HEAD). */
export const errAlgorithmNotSupported = (alg: string) =>
  new ApiError('ALG_NOT_SUPPORTED', 406, `algorithm '${alg}' is not supported`)
/** errInvalidKeySize: import of a key that is not 32 bytes (406, KES HEAD). */
export const errInvalidKeySize = (alg: string) => new ApiError('INVALID_KEY_SIZE', 406, `invalid key size for '${alg}'`)

// --- Key states (Keyhold extension: docs/kes-compatibility.md, "Keyhold extensions") ---
// 409 like KES's `key does not support HMAC`: the key exists but its state forbids the operation;
// kms-go neither retries nor fails over on a 4xx.
export const errKeyDisabled = fixed('KEY_DISABLED', 409, 'key is disabled')
export const errKeyNotScheduled = fixed('KEY_NOT_SCHEDULED', 409, 'key is not scheduled for deletion')
export const errKeyStateConflict = fixed('KEY_STATE_CONFLICT', 409, 'key state was changed concurrently')
export const errUpdateKeyState = fixed('KEYSTORE_FAILED', 502, 'failed to update key state')

// --- Names ---
/** errInvalidKeyName: a key name outside the allowed alphabet or length. */
export const errInvalidKeyName = (name: string) =>
  new ApiError('INVALID_NAME', 400, `key name '${name}' is empty, too long or contains invalid characters`)
/** errInvalidPolicyName: a policy name outside the allowed alphabet or length. */
export const errInvalidPolicyName = (name: string) =>
  new ApiError('INVALID_NAME', 400, `policy name '${name}' is empty, too long or contains invalid characters`)
/** errInvalidIdentity: an identity outside the allowed alphabet or length. */
export const errInvalidIdentity = (name: string) =>
  new ApiError('INVALID_NAME', 400, `identity '${name}' is empty, too long or contains invalid characters`)
/** errInvalidPattern: a listing pattern that is not a name with an optional trailing `*`. */
export const errInvalidPattern = (pattern: string) =>
  new ApiError('INVALID_PATTERN', 400, `listing pattern '${pattern}' is empty, too long or is invalid`)

// --- Policies and identities ---
export const errPolicyNotFound = fixed('POLICY_NOT_FOUND', 404, 'policy does not exist')
export const errIdentityNotFound = fixed('IDENTITY_NOT_FOUND', 404, 'identity does not exist')
export const errNotAllowed = fixed('NOT_ALLOWED', 403, 'not authorized: insufficient permissions')

// --- Transport ---
export const errCertRequired = fixed('TLS_CERT_REQUIRED', 400, 'tls: client certificate is required')
export const errTooManyCerts = fixed('TLS_TOO_MANY_CERTS', 400, 'tls: received more than one client certificate')
export const errTlsRequired = fixed('TLS_REQUIRED', 400, 'insecure connection: TLS is required')
/** errMethodNotAllowed: the route exists with another method; the reply carries `Accept: <want>`. */
export const errMethodNotAllowed = (got: string, want: string) =>
  new ApiError('METHOD_NOT_ALLOWED', 405, `received method '${got}' expected '${want}'`)
export const errNotImplemented = fixed('NOT_IMPLEMENTED', 501, 'not implemented')

// --- Keystore and internal failures: fixed texts, the cause goes to the error log only ---
export const errStoreUnreachable = fixed('KEYSTORE_UNREACHABLE', 504, 'key store is not reachable')
export const errStoreUnavailable = fixed('KEYSTORE_UNAVAILABLE', 502, 'key store is unavailable')
export const errReadKey = fixed('KEYSTORE_FAILED', 502, 'failed to read key')
export const errCreateKey = fixed('KEYSTORE_FAILED', 502, 'failed to create key')
export const errDeleteKey = fixed('KEYSTORE_FAILED', 502, 'failed to delete key')
export const errListKeys = fixed('KEYSTORE_FAILED', 502, 'failed to list keys')
export const errGenerateKey = fixed('INTERNAL', 500, 'failed to generate encryption key')
export const errEncrypt = fixed('INTERNAL', 500, 'failed to encrypt plaintext')
export const errInternal = fixed('INTERNAL', 500, 'internal server error')

// --- Key rotation: Keyhold's own route, no KES text to match (docs/key-rotation.md, "API") ---
export const errRotateConflict = fixed('ROTATION_CONFLICT', 409, 'key is being rotated concurrently')
export const errStaleVersions = fixed('ROTATION_CONFLICT', 409, 'key versions do not belong to the key')
export const errTooManyVersions = fixed('ROTATION_CONFLICT', 409, 'key has too many versions')
export const errRotateKey = fixed('KEYSTORE_FAILED', 502, 'failed to rotate key')
