/**
 * MinIO's S3 errors for server-side encryption (`cmd/api-errors.go`), byte-exact: clients match them.
 *
 * @module
 */
import { S3Error } from '../api/errors.js'

const E = (code: string, status: number, message: string) => () => new S3Error(code, status, message)

/** SSE_ERRORS are factories of MinIO's SSE errors; each returns a fresh S3Error and throws nothing. */
export const SSE_ERRORS = {
  invalidEncryptionMethod: E('InvalidArgument', 400, 'Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms'),
  incompatibleEncryptionMethod: E('InvalidArgument', 400, 'Server Side Encryption with Customer provided key is incompatible with the encryption method specified'),
  invalidEncryptionKeyId: E('InvalidRequest', 400, 'The specified KMS KeyID contains unsupported characters'),
  insecureSseCustomerRequest: E('InvalidRequest', 400, 'Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.'),
  sseMultipartEncrypted: E('InvalidRequest', 400, 'The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters.'),
  sseEncryptedObject: E('InvalidRequest', 400, 'The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.'),
  invalidEncryptionParameters: E('InvalidRequest', 400, 'The encryption parameters are not applicable to this object.'),
  invalidSseCustomerAlgorithm: E('InvalidArgument', 400, 'Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.'),
  invalidSseCustomerKey: E('InvalidArgument', 400, 'The secret key was invalid for the specified algorithm.'),
  missingSseCustomerKey: E('InvalidArgument', 400, 'Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.'),
  missingSseCustomerKeyMd5: E('InvalidArgument', 400, 'Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.'),
  sseCustomerKeyMd5Mismatch: E('InvalidArgument', 400, 'The calculated MD5 hash of the key did not match the hash that was provided.'),
  invalidSseCustomerParameters: E('InvalidArgument', 400, 'The provided encryption parameters did not match the ones used originally.'),
  kmsNotConfigured: E('NotImplemented', 501, 'Server side encryption specified but KMS is not configured'),
  accessDenied: E('AccessDenied', 403, 'Access Denied.'),
  invalidArgumentContext: E('InvalidArgument', 400, 'Invalid Argument'),
  notImplemented: E('NotImplemented', 501, 'A header you provided implies functionality that is not implemented'),
  /** Stored ciphertext or metadata failed authentication: never answer wrong bytes. */
  objectTampered: E('InternalError', 500, 'We encountered an internal error, please try again.'),
}
