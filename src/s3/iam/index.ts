/**
 * keyhold-s3 access control, ready to plug into createS3Server: the credential provider, the
 * authorizer, the admin API routes and the bucket `policy` subresource, over one IAM database.
 *
 * @module
 */
import { iamAdminRoutes } from '../admin/router.js'
import type { Authorizer, CredentialProvider, ExtraRoute, SubresourceHandler } from '../extensions.js'
import { IamAccess } from './authorizer.js'
import { bucketPolicyHandler } from './bucket-policy.js'
import { Iam, type IamOptions } from './iam.js'
import type { MessageLog } from '../../lib/logger.js'

export { Iam, type IamOptions } from './iam.js'
export { IamAccess } from './authorizer.js'
export { IamError } from './errors.js'
export type { SecretSealer } from './secrets.js'

/** The hooks {@link createIam} returns, named as S3ServerOptions names them. */
export interface IamHooks {
  iam: Iam
  access: IamAccess
  credentials: CredentialProvider
  authorizer: Authorizer
  /** The `/minio/admin/v3` route; mount after the KMS routes (`/minio/admin/v3/kms`). */
  extraRoutes: ExtraRoute[]
  subresources: { policy: SubresourceHandler }
  close(): void
}

/**
 * createIam opens the IAM database in `dataDir` and returns the hooks for createS3Server.
 * Throws on database I/O errors.
 */
export function createIam(options: IamOptions & {
  log?: MessageLog
  /** madmin algorithm id for encrypted answers (default 2, PBKDF2 + AES-GCM, as FIPS builds of MinIO; 0 and 1 are Argon2id). */
  responseAlgorithm?: number
}): IamHooks {
  const iam = new Iam(options)
  const access = new IamAccess(iam)
  return {
    iam, access, credentials: access, authorizer: access,
    extraRoutes: iamAdminRoutes({
      access, ...(options.log ? { log: options.log } : {}),
      ...(options.responseAlgorithm !== undefined ? { responseAlgorithm: options.responseAlgorithm } : {}),
    }),
    subresources: { policy: bucketPolicyHandler },
    close: () => iam.close(),
  }
}
