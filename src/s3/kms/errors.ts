/**
 * KMS errors as MinIO answers them to S3 clients (`internal/kms/errors.go`, `internal/kms/kes.go`):
 * KES answers are matched by status and message and mapped to `kms:*` codes.
 *
 * @module
 */
import { KesError } from '../../kes-client/index.js'
import { S3Error } from '../api/errors.js'
import { isUnreachable } from './monitor.js'

/** kmsError builds MinIO's S3 error for a KMS failure; throws nothing. */
function kmsError(status: number, code: string, message: string): S3Error {
  return new S3Error(code, status, message)
}

/** The fixed KMS errors (status, code, MinIO's text). */
export const KMS_ERRORS = {
  permission: () => kmsError(403, 'kms:NotAuthorized', 'insufficient permissions to perform KMS operation'),
  keyExists: () => kmsError(409, 'kms:KeyAlreadyExists', 'key with given key ID already exits'),
  keyNotFound: () => kmsError(404, 'kms:KeyNotFound', 'key with given key ID does not exist'),
  decrypt: () => kmsError(400, 'kms:InvalidCiphertextException', 'failed to decrypt ciphertext'),
  notConfigured: () => kmsError(501, 'NotImplemented', 'Server side encryption specified but KMS is not configured'),
  /** MinIO's ErrInvalidEncryptionKeyID: a key id that is no KES key name never reaches the KMS. */
  invalidKeyId: () => kmsError(400, 'InvalidRequest', 'The specified KMS KeyID contains unsupported characters'),
  /**
   * No KMS endpoint answered. Not MinIO's `kms:*Failed` 500s, which read like tampering: S3's own 503 code, so
   * every SDK, the aws CLI and mc retry it with their back-off, and a message that says what is wrong.
   */
  unreachable: () => kmsError(503, 'ServiceUnavailable', 'The KMS is unreachable; please retry the request once it is back'),
}

/** The operation a KMS call was made for, naming its fallback error. */
export type KmsOperation = 'generate' | 'decrypt' | 'create' | 'list'

const FALLBACK: Record<KmsOperation, [string, string]> = {
  generate: ['kms:KeyGenerationFailed', 'failed to generate data key with KMS key'],
  decrypt: ['kms:DecryptionFailed', 'failed to decrypt ciphertext with KMS key'],
  create: ['kms:KeyCreationFailed', 'failed to create KMS key'],
  list: ['kms:KeyListingFailed', 'failed to list keys at the KMS'],
}

/**
 * toKmsS3Error maps a KES client failure onto MinIO's S3 error (503 ServiceUnavailable when the KMS could not be
 * reached). The cause (which may name an
 * endpoint, never a key) is kept for the log, not shown to the client. Throws nothing.
 */
export function toKmsS3Error(err: unknown, op: KmsOperation): S3Error {
  if (err instanceof S3Error) return err
  if (err instanceof KesError) {
    if (err.status === 403) return KMS_ERRORS.permission()
    if (err.status === 404 && err.message === 'key does not exist') return KMS_ERRORS.keyNotFound()
    if (err.status === 400 && err.message === 'key already exists') return KMS_ERRORS.keyExists()
    if (err.status === 400 && err.message === 'decryption failed: ciphertext is not authentic') return KMS_ERRORS.decrypt()
  }
  if (isUnreachable(err)) {
    const out = KMS_ERRORS.unreachable()
    out.cause = err
    return out
  }
  const [code, message] = FALLBACK[op]
  const out = kmsError(500, code, message)
  out.cause = err
  return out
}
