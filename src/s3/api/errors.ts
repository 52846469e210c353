/**
 * S3 errors: a typed class and the catalogue of codes keyhold-s3 answers, with AWS's status codes and
 * messages (clients match codes, some match messages).
 *
 * @module
 */

/** S3Error is an error answered to the client as S3 XML `<Error><Code>…`. */
export class S3Error extends Error {
  /**
   * Creates an S3 error; throws nothing.
   * @param code the S3 error code (`NoSuchKey`, ...)
   * @param status the HTTP status
   * @param message the client-visible message (default: the catalogue's)
   * @param extra extra XML elements (`Key`, `BucketName`, `ArgumentName`, ...)
   */
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly extra: Record<string, string> = {},
  ) {
    super(message)
    this.name = 'S3Error'
  }
}

const CATALOGUE = {
  AccessDenied: [403, 'Access Denied.'],
  BadDigest: [400, 'The Content-MD5 you specified did not match what we received.'],
  BucketAlreadyExists: [409, 'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.'],
  BucketAlreadyOwnedByYou: [409, 'Your previous request to create the named bucket succeeded and you already own it.'],
  BucketNotEmpty: [409, 'The bucket you tried to delete is not empty'],
  EntityTooLarge: [400, 'Your proposed upload exceeds the maximum allowed object size.'],
  EntityTooSmall: [400, 'Your proposed upload is smaller than the minimum allowed object size.'],
  IncompleteBody: [400, 'You did not provide the number of bytes specified by the Content-Length HTTP header.'],
  InternalError: [500, 'We encountered an internal error, please try again.'],
  InvalidAccessKeyId: [403, 'The Access Key Id you provided does not exist in our records.'],
  InvalidArgument: [400, 'Invalid Argument'],
  InvalidBucketName: [400, 'The specified bucket is not valid.'],
  InvalidDigest: [400, 'The Content-Md5 you specified is not valid.'],
  InvalidPart: [400, 'One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part\'s entity tag.'],
  InvalidPartOrder: [400, 'The list of parts was not in ascending order. The parts list must be specified in order by part number.'],
  InvalidRange: [416, 'The requested range is not satisfiable'],
  InvalidRequest: [400, 'Invalid Request'],
  InvalidStorageClass: [400, 'Invalid storage class.'],
  KeyTooLongError: [400, 'Your key is too long'],
  MalformedXML: [400, 'The XML you provided was not well-formed or did not validate against our published schema.'],
  MetadataTooLarge: [400, 'Your metadata headers exceed the maximum allowed metadata size.'],
  MethodNotAllowed: [405, 'The specified method is not allowed against this resource.'],
  MissingContentLength: [411, 'You must provide the Content-Length HTTP header.'],
  MissingSecurityHeader: [400, 'Your request was missing a required header'],
  NoSuchBucket: [404, 'The specified bucket does not exist'],
  NoSuchKey: [404, 'The specified key does not exist.'],
  NoSuchUpload: [404, 'The specified multipart upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.'],
  NoSuchVersion: [404, 'The specified version does not exist.'],
  NotImplemented: [501, 'A header you provided implies functionality that is not implemented'],
  PreconditionFailed: [412, 'At least one of the pre-conditions you specified did not hold'],
  RequestTimeTooSkewed: [403, 'The difference between the request time and the server\'s time is too large.'],
  RequestTimeout: [400, 'Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.'],
  RequestHeaderSectionTooLarge: [400, 'Your request header section exceeds the maximum allowed size.'],
  ServiceUnavailable: [503, 'The service is unavailable. Please retry.'],
  SignatureDoesNotMatch: [403, 'The request signature we calculated does not match the signature you provided. Check your key and signing method.'],
  XAmzContentSHA256Mismatch: [400, 'The provided \'x-amz-content-sha256\' header does not match what was computed.'],
  AuthorizationHeaderMalformed: [400, 'The authorization header is malformed; the region is wrong.'],
  AuthorizationQueryParametersError: [400, 'Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".'],
  ExpiredToken: [400, 'The provided token has expired.'],
  InvalidObjectName: [400, 'Object name contains unsupported characters.'],
  InvalidUploadId: [404, 'The specified multipart upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.'],
  NotModified: [304, 'Not Modified'],
  ServerSideEncryptionConfigurationNotFoundError: [404, 'The server side encryption configuration was not found'],
  NoSuchBucketPolicy: [404, 'The bucket policy does not exist'],
} as const satisfies Record<string, readonly [number, string]>

/** S3ErrorCode is a code from the catalogue. */
export type S3ErrorCode = keyof typeof CATALOGUE

/**
 * s3err makes a catalogue error; throws nothing.
 * @param code a catalogue code
 * @param message overrides the catalogue message
 * @param extra extra XML elements
 */
export function s3err(code: S3ErrorCode, message?: string, extra: Record<string, string> = {}): S3Error {
  const [status, text] = CATALOGUE[code]
  return new S3Error(code, status, message ?? text, extra)
}
