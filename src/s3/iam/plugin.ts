/**
 * The IAM server plugin of `keyhold-s3 server`: opens the IAM database in the data directory and
 * contributes the credential provider, the authorizer, the `/minio/admin/v3` routes and the bucket
 * `policy` subresource. With a KMS configured (MINIO_KMS_*), secrets are sealed with Keyhold data
 * keys, and secrets stored before are resealed at start-up.
 *
 * @module
 */
import { mkdirSync } from 'node:fs'
import type { PluginContext, PluginResult } from '../../cli/keyhold-s3/server-plugins.js'
import { IAM_DB_FILE } from './db.js'
import { createIam } from './index.js'
import { KmsSecretSealer } from './kms-sealer.js'

/** iamPlugin sets up access control. Rejects when the database cannot be opened or the KMS fails at start-up. */
export async function iamPlugin(ctx: PluginContext): Promise<PluginResult> {
  // Plugins run before createS3Server, which would create the directory itself.
  mkdirSync(ctx.dataDir, { recursive: true, mode: 0o700 })
  // The process's one KMS connection, shared with SSE; the server command closes it.
  const kms = await ctx.kms.connect()
  const hooks = createIam({
    dataDir: ctx.dataDir, rootUser: ctx.rootUser, rootPassword: ctx.rootPassword, log: ctx.log,
    ...(kms ? { sealer: new KmsSecretSealer(kms) } : {}),
  })
  try {
    const resealed = kms ? await hooks.iam.resealPlainSecrets() : 0
    if (resealed > 0) ctx.log(`sealed ${resealed} IAM secret(s) stored before the KMS was configured`)
  } catch (err) {
    hooks.close()
    throw new Error(`Failed to seal IAM secrets with the KMS: ${(err as Error).message}`, { cause: err })
  }
  return {
    options: {
      credentials: hooks.credentials, authorizer: hooks.authorizer, extraRoutes: hooks.extraRoutes,
      subresources: hooks.subresources,
    },
    banner: [`IAM: users, groups, policies and service accounts in ${IAM_DB_FILE}${kms ? ', secrets sealed by the KMS' : ''}`],
    close: () => {
      hooks.close()
      return Promise.resolve()
    },
  }
}
