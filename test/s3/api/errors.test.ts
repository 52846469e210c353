/**
 * The S3 error catalogue pinned: every code keyhold-s3 can answer, with its status and message, and every named
 * MinIO error. Clients (SDKs, the aws CLI, mc) match codes and some match messages: a change here is a wire change.
 */
import { describe, expect, it } from 'vitest'
import { S3Error, S3_ERRORS, S3_ERROR_CODES, s3err, type S3ErrorCode, type S3ErrorName } from '../../../src/s3/api/errors.js'

const CODES: Array<[S3ErrorCode, number, string]> = [
    ['AccessDenied', 403, 'Access Denied.'],
    ['BadDigest', 400, 'The Content-MD5 you specified did not match what we received.'],
    ['BucketAlreadyExists', 409, 'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.'],
    ['BucketAlreadyOwnedByYou', 409, 'Your previous request to create the named bucket succeeded and you already own it.'],
    ['BucketNotEmpty', 409, 'The bucket you tried to delete is not empty'],
    ['EntityTooLarge', 400, 'Your proposed upload exceeds the maximum allowed object size.'],
    ['EntityTooSmall', 400, 'Your proposed upload is smaller than the minimum allowed object size.'],
    ['IncompleteBody', 400, 'You did not provide the number of bytes specified by the Content-Length HTTP header.'],
    ['InternalError', 500, 'We encountered an internal error, please try again.'],
    ['InvalidAccessKeyId', 403, 'The Access Key Id you provided does not exist in our records.'],
    ['InvalidArgument', 400, 'Invalid Argument'],
    ['InvalidBucketName', 400, 'The specified bucket is not valid.'],
    ['InvalidDigest', 400, 'The Content-Md5 you specified is not valid.'],
    ['InvalidPart', 400, "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag."],
    ['InvalidPartOrder', 400, 'The list of parts was not in ascending order. The parts list must be specified in order by part number.'],
    ['InvalidRange', 416, 'The requested range is not satisfiable'],
    ['InvalidRequest', 400, 'Invalid Request'],
    ['InvalidStorageClass', 400, 'Invalid storage class.'],
    ['KeyTooLongError', 400, 'Your key is too long'],
    ['MalformedXML', 400, 'The XML you provided was not well-formed or did not validate against our published schema.'],
    ['MetadataTooLarge', 400, 'Your metadata headers exceed the maximum allowed metadata size.'],
    ['MethodNotAllowed', 405, 'The specified method is not allowed against this resource.'],
    ['MissingContentLength', 411, 'You must provide the Content-Length HTTP header.'],
    ['MissingSecurityHeader', 400, 'Your request was missing a required header'],
    ['NoSuchBucket', 404, 'The specified bucket does not exist'],
    ['NoSuchKey', 404, 'The specified key does not exist.'],
    ['NoSuchUpload', 404, 'The specified multipart upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.'],
    ['NoSuchVersion', 404, 'The specified version does not exist.'],
    ['NotImplemented', 501, 'A header you provided implies functionality that is not implemented'],
    ['PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold'],
    ['RequestTimeTooSkewed', 403, "The difference between the request time and the server's time is too large."],
    ['RequestTimeout', 400, 'Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.'],
    ['RequestHeaderSectionTooLarge', 400, 'Your request header section exceeds the maximum allowed size.'],
    ['ServiceUnavailable', 503, 'The service is unavailable. Please retry.'],
    ['SignatureDoesNotMatch', 403, 'The request signature we calculated does not match the signature you provided. Check your key and signing method.'],
    ['XAmzContentSHA256Mismatch', 400, "The provided 'x-amz-content-sha256' header does not match what was computed."],
    ['AuthorizationHeaderMalformed', 400, 'The authorization header is malformed; the region is wrong.'],
    ['AuthorizationQueryParametersError', 400, 'Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".'],
    ['ExpiredToken', 400, 'The provided token has expired.'],
    ['InvalidObjectName', 400, 'Object name contains unsupported characters.'],
    ['InvalidUploadId', 404, 'The specified multipart upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.'],
    ['NotModified', 304, 'Not Modified'],
    ['ServerSideEncryptionConfigurationNotFoundError', 404, 'The server side encryption configuration was not found'],
    ['NoSuchBucketPolicy', 404, 'The bucket policy does not exist'],
    ['MalformedPolicy', 400, 'Policy has invalid resource.'],
    ['PolicyTooLarge', 400, 'Policy exceeds the maximum allowed document size.'],
    ['MalformedPOSTRequest', 400, 'The body of your POST request is not well-formed multipart/form-data.'],
    ['MissingFields', 400, 'Missing fields in request.'],
    ['IllegalVersioningConfigurationException', 400, 'Versioning configuration specified in the request is invalid.'],
    ['NoSuchTagSet', 404, 'The TagSet does not exist'],
    ['InvalidTag', 400, 'The tag provided was not a valid tag. This error can occur if the tag did not pass input validation.'],
    ['BadRequest', 400, '400 BadRequest'],
    ['MissingContentMD5', 400, 'Missing or invalid required header for this request: Content-Md5 or Amz-Content-Checksum'],
    ['NoSuchLifecycleConfiguration', 404, 'The lifecycle configuration does not exist'],
    ['ObjectLockConfigurationNotFoundError', 404, 'Object Lock configuration does not exist for this bucket'],
    ['InvalidBucketState', 409, 'The request is not valid with the current state of the bucket.'],
    ['NoSuchObjectLockConfiguration', 400, 'The specified object does not have a ObjectLock configuration'],
    ['InvalidRetentionPeriod', 400, 'The retention period is not valid.'],
    ['AccessForbidden', 403, 'CORSResponse: This CORS request is not allowed. The Origin, the Access-Control-Request-Method or the Access-Control-Request-Headers is not allowed by the server.'],
    ['NoSuchCORSConfiguration', 404, 'The CORS configuration does not exist'],
    ['NoSuchWebsiteConfiguration', 404, 'The specified bucket does not have a website configuration'],
    ['ReplicationConfigurationNotFoundError', 404, 'The replication configuration was not found'],
    ['XMinioStorageFull', 507, 'Storage backend has reached its minimum free drive threshold. Please delete a few objects to proceed.'],
    ['kms:NotAuthorized', 403, 'insufficient permissions to perform KMS operation'],
    ['kms:KeyAlreadyExists', 409, 'key with given key ID already exits'],
    ['kms:KeyNotFound', 404, 'key with given key ID does not exist'],
    ['kms:InvalidCiphertextException', 400, 'failed to decrypt ciphertext'],
    ['kms:KeyGenerationFailed', 500, 'failed to generate data key with KMS key'],
    ['kms:DecryptionFailed', 500, 'failed to decrypt ciphertext with KMS key'],
    ['kms:KeyCreationFailed', 500, 'failed to create KMS key'],
    ['kms:KeyListingFailed', 500, 'failed to list keys at the KMS'],
]

const NAMED: Array<[S3ErrorName, S3ErrorCode, number, string]> = [
    ['invalidEncryptionMethod', 'InvalidArgument', 400, 'Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms'],
    ['incompatibleEncryptionMethod', 'InvalidArgument', 400, 'Server Side Encryption with Customer provided key is incompatible with the encryption method specified'],
    ['invalidEncryptionKeyId', 'InvalidRequest', 400, 'The specified KMS KeyID contains unsupported characters'],
    ['insecureSseCustomerRequest', 'InvalidRequest', 400, 'Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.'],
    ['sseMultipartEncrypted', 'InvalidRequest', 400, 'The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters.'],
    ['sseEncryptedObject', 'InvalidRequest', 400, 'The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.'],
    ['invalidEncryptionParameters', 'InvalidRequest', 400, 'The encryption parameters are not applicable to this object.'],
    ['invalidSseCustomerAlgorithm', 'InvalidArgument', 400, 'Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.'],
    ['invalidSseCustomerKey', 'InvalidArgument', 400, 'The secret key was invalid for the specified algorithm.'],
    ['missingSseCustomerKey', 'InvalidArgument', 400, 'Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.'],
    ['missingSseCustomerKeyMd5', 'InvalidArgument', 400, 'Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.'],
    ['sseCustomerKeyMd5Mismatch', 'InvalidArgument', 400, 'The calculated MD5 hash of the key did not match the hash that was provided.'],
    ['invalidSseCustomerParameters', 'InvalidArgument', 400, 'The provided encryption parameters did not match the ones used originally.'],
    ['kmsNotConfigured', 'NotImplemented', 501, 'Server side encryption specified but KMS is not configured'],
    ['objectTampered', 'InternalError', 500, 'We encountered an internal error, please try again.'],
    ['kmsUnreachable', 'ServiceUnavailable', 503, 'The KMS is unreachable; please retry the request once it is back'],
    ['postFieldsTooLarge', 'EntityTooLarge', 400, 'Your POST request fields preceding the upload file were too large.'],
]

describe('S3 error catalogue', () => {
  it('pins every code: no code is added, dropped or reworded unnoticed', () => {
    expect(S3_ERROR_CODES.map(([code, status, message]) => [code, status, message])).toEqual(CODES)
  })

  it.each(CODES)('%s answers %i with its catalogue message', (code, status, message) => {
    const err = s3err(code)
    expect(err).toBeInstanceOf(S3Error)
    expect([err.code, err.status, err.message, err.extra]).toEqual([code, status, message, {}])
  })

  it('pins every named error: no name is added or dropped unnoticed', () => {
    expect(Object.keys(S3_ERRORS)).toEqual(NAMED.map(([name]) => name))
  })

  it.each(NAMED)('%s is %s %i with MinIO\'s message', (name, code, status, message) => {
    const err = S3_ERRORS[name]()
    expect([err.code, err.status, err.message]).toEqual([code, status, message])
    expect(S3_ERRORS[name]()).not.toBe(err)
  })

  it('keeps the status of the code when the message is more precise', () => {
    const err = s3err('InvalidArgument', 'Invalid version id specified', { ArgumentName: 'versionId' })
    expect([err.code, err.status, err.message, err.extra]).toEqual([
      'InvalidArgument', 400, 'Invalid version id specified', { ArgumentName: 'versionId' },
    ])
  })

  it('refuses a code outside the catalogue at compile time', () => {
    // @ts-expect-error: an S3Error carries only catalogue codes
    expect(() => s3err('NoSuchThing')).toThrow(TypeError)
  })
})
