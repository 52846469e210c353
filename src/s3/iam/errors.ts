/**
 * IAM errors: the one catalogue of the codes the IAM store and the admin API answer, with MinIO's HTTP status
 * and message, as MinIO's admin JSON error `{"Code","Message",...}` (a wire format of its own, apart from S3's
 * XML). test/s3/iam/errors.test.ts pins them.
 *
 * @module
 */

/** Every admin error code: [HTTP status, default message]. */
const CATALOGUE = {
  XMinioAdminNoSuchUser: [404, 'The specified user does not exist.'],
  XMinioAdminNoSuchGroup: [404, 'The specified group does not exist.'],
  XMinioAdminNoSuchPolicy: [404, 'The canned policy does not exist.'],
  XMinioAdminNoSuchServiceAccount: [404, 'The specified service account is not found.'],
  XMinioAdminGroupNotEmpty: [400, 'The specified group is not empty - cannot remove it.'],
  XMinioAdminPolicyChangeAlreadyApplied: [400, 'The specified policy change is already in effect.'],
  XMinioAdminInvalidArgument: [400, 'Invalid arguments specified.'],
  XMinioAdminInvalidAccessKey: [400, 'The access key is invalid.'],
  XMinioAdminInvalidSecretKey: [400, 'The secret key is invalid.'],
  XMinioAdminResourceInvalidArgument: [400, 'Resource invalid argument.'],
  XMinioInvalidIAMCredentials: [403, 'Credential is not allowed to be same as admin access key'],
  XMinioIAMActionNotAllowed: [403, 'Specified IAM action is not allowed'],
  XMinioAdminConfigBadJSON: [400, 'JSON configuration provided is of incorrect format'],
  MalformedPolicy: [400, 'Policy has invalid resource.'],
  PolicyTooLarge: [400, 'Policy exceeds the maximum allowed document size.'],
  AccessDenied: [403, 'Access Denied.'],
  InternalError: [500, 'We encountered an internal error, please try again.'],
  /** MinIO answers an admin path it does not know with this code (the message names the path). */
  XMinioUnknownAPIRequest: [400, 'Unknown API request'],
} as const satisfies Record<string, readonly [number, string]>

/** IamErrorCode is a code from the catalogue: the only codes an {@link IamError} can carry. */
export type IamErrorCode = keyof typeof CATALOGUE

/** IamError is answered to admin clients as MinIO's JSON error `{"Code","Message",...}`, with its code's status. */
export class IamError extends Error {
  /** The HTTP status of the code, from the catalogue. */
  readonly status: number

  /** Creates an IAM error with the catalogue message or a more precise one; throws nothing. */
  constructor(readonly code: IamErrorCode, message?: string) {
    const [status, text] = CATALOGUE[code]
    super(message ?? text)
    this.name = 'IamError'
    this.status = status
  }
}

/** iamErr makes a catalogue error, optionally with a more precise message; throws nothing. */
export function iamErr(code: IamErrorCode, message?: string): IamError {
  return new IamError(code, message)
}

/** IAM_ERROR_CODES lists every catalogue code with its status and default message, for the pin test. */
export const IAM_ERROR_CODES: ReadonlyArray<readonly [IamErrorCode, number, string]> = Object.entries(CATALOGUE)
  .map(([code, [status, message]]) => [code as IamErrorCode, status, message] as const)
