/**
 * The access-key lookup shared by every signature version: one place decides how an unknown, disabled or
 * unreachable credential is answered, so SigV2 and SigV4 refuse alike.
 *
 * @module
 */
import { s3err } from '../../api/errors.js'
import type { Credential, CredentialProvider } from '../../extensions.js'

/**
 * lookupCredential finds the credential of an access key. Throws S3Error: ServiceUnavailable (the provider
 * failed, e.g. IAM not loaded), InvalidAccessKeyId (unknown key, or a disabled account).
 */
export async function lookupCredential(provider: CredentialProvider, accessKey: string): Promise<Credential> {
  let credential: Credential | undefined
  try {
    credential = await provider.lookup(accessKey)
  } catch {
    throw s3err('ServiceUnavailable')
  }
  if (credential === undefined) throw s3err('InvalidAccessKeyId')
  if (credential.disabled === true) {
    throw s3err('InvalidAccessKeyId', 'Your account is disabled; please contact your administrator.')
  }
  return credential
}
