/**
 * The IAM part of `keyhold-s3 server`: opens the IAM database in the data directory and gives the
 * credential provider, the authorizer, the `/minio/admin/v3` routes and the bucket `policy`
 * subresource. With a KMS configured (MINIO_KMS_*), secrets are sealed with Keyhold data keys, and
 * secrets stored before are resealed at start-up.
 *
 * @module
 */
import { mkdirSync } from 'node:fs'
import type { Authorizer, CredentialProvider, ExtraRoute, SubresourceHandler } from '../extensions.js'
import type { SharedKms } from '../kms/shared.js'
import { IAM_DB_FILE } from './db.js'
import { createIam } from './index.js'
import { KmsSecretSealer } from './kms-sealer.js'
import type { MessageLog } from '../../lib/logger.js'

/** What {@link startIam} needs. */
export interface StartIamOptions {
  dataDir: string
  rootUser: string
  rootPassword: string
  /** The process's one KMS connection, shared with SSE; its owner closes it. */
  kms: SharedKms
  log: MessageLog
}

/** What the IAM part gives the server, its start-up banner line, and its closer. */
export interface IamPart {
  credentials: CredentialProvider
  authorizer: Authorizer
  extraRoutes: ExtraRoute[]
  subresources: Record<string, SubresourceHandler>
  banner: string
  close(): void
}

/** startIam sets up access control. Rejects when the database cannot be opened or the KMS fails at start-up. */
export async function startIam(opts: StartIamOptions): Promise<IamPart> {
  // Runs before createS3Server, which would create the directory itself.
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 })
  const kms = await opts.kms.connect()
  const hooks = createIam({
    dataDir: opts.dataDir, rootUser: opts.rootUser, rootPassword: opts.rootPassword, log: opts.log,
    ...(kms ? { sealer: new KmsSecretSealer(kms) } : {}),
  })
  try {
    const resealed = kms ? await hooks.iam.resealPlainSecrets() : 0
    if (resealed > 0) opts.log.info(`sealed ${resealed} IAM secret(s) stored before the KMS was configured`)
  } catch (err) {
    hooks.close()
    throw new Error(`Failed to seal IAM secrets with the KMS: ${(err as Error).message}`, { cause: err })
  }
  return {
    credentials: hooks.credentials, authorizer: hooks.authorizer, extraRoutes: hooks.extraRoutes,
    subresources: hooks.subresources,
    banner: `IAM: users, groups, policies and service accounts in ${IAM_DB_FILE}${kms ? ', secrets sealed by the KMS' : ''}`,
    close: () => hooks.close(),
  }
}
