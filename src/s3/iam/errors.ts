/**
 * IAM errors: a typed class carrying MinIO's admin error code, HTTP status and message, and the
 * catalogue of the ones the IAM store and the admin API answer.
 *
 * @module
 */

/** IamError is answered to admin clients as MinIO's JSON error `{"Code","Message",...}`. */
export class IamError extends Error {
  /** Creates an IAM error; throws nothing. */
  constructor(readonly code: string, readonly status: number, message: string) {
    super(message)
    this.name = 'IamError'
  }
}

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
} as const satisfies Record<string, readonly [number, string]>

/** IamErrorCode is a code from the catalogue. */
export type IamErrorCode = keyof typeof CATALOGUE

/** iamErr makes a catalogue error, optionally with a more precise message; throws nothing. */
export function iamErr(code: IamErrorCode, message?: string): IamError {
  const [status, text] = CATALOGUE[code]
  return new IamError(code, status, message ?? text)
}
