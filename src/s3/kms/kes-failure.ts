/**
 * KES client failures as MinIO answers them to S3 clients (`internal/kms/errors.go`, `internal/kms/kes.go`):
 * the KES client's predicates say which failure it is, mapped here to the catalogue's `kms:*` codes.
 *
 * @module
 */
import { isDecryptFailed, isKeyExists, isKeyNotFound, isNotAllowed } from '../../kes-client/index.js'
import { S3Error, S3_ERRORS, s3err, type S3ErrorCode } from '../api/errors.js'
import { isUnreachable } from './monitor.js'

/** The operation a KMS call was made for, naming its fallback error. */
export type KmsOperation = 'generate' | 'decrypt' | 'create' | 'list'

const FALLBACK: Record<KmsOperation, S3ErrorCode> = {
  generate: 'kms:KeyGenerationFailed',
  decrypt: 'kms:DecryptionFailed',
  create: 'kms:KeyCreationFailed',
  list: 'kms:KeyListingFailed',
}

/**
 * toKmsS3Error maps a KES client failure onto MinIO's S3 error (503 ServiceUnavailable when the KMS could not be
 * reached). The cause (which may name an
 * endpoint, never a key) is kept for the log, not shown to the client. Throws nothing.
 */
export function toKmsS3Error(err: unknown, op: KmsOperation): S3Error {
  if (err instanceof S3Error) return err
  if (isNotAllowed(err)) return s3err('kms:NotAuthorized')
  if (isKeyNotFound(err)) return s3err('kms:KeyNotFound')
  if (isKeyExists(err)) return s3err('kms:KeyAlreadyExists')
  if (isDecryptFailed(err)) return s3err('kms:InvalidCiphertextException')
  if (isUnreachable(err)) {
    const out = S3_ERRORS.kmsUnreachable()
    out.cause = err
    return out
  }
  const out = s3err(FALLBACK[op])
  out.cause = err
  return out
}
