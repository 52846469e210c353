/**
 * The IAM server plugin of `keyhold-s3 server`: opens the IAM database in the data directory and
 * contributes the credential provider, the authorizer, the `/minio/admin/v3` routes and the bucket
 * `policy` subresource.
 *
 * @module
 */
import { mkdirSync } from 'node:fs'
import type { PluginContext, PluginResult } from '../../cli/s3/server-plugins.js'
import { IAM_DB_FILE } from './db.js'
import { createIam } from './index.js'

/** iamPlugin sets up access control. Rejects when the IAM database cannot be opened. */
export function iamPlugin(ctx: PluginContext): Promise<PluginResult> {
  // Plugins run before createS3Server, which would create the directory itself.
  mkdirSync(ctx.dataDir, { recursive: true, mode: 0o700 })
  const hooks = createIam({ dataDir: ctx.dataDir, rootUser: ctx.rootUser, rootPassword: ctx.rootPassword, log: ctx.log })
  return Promise.resolve({
    options: {
      credentials: hooks.credentials, authorizer: hooks.authorizer, extraRoutes: hooks.extraRoutes,
      subresources: hooks.subresources,
    },
    banner: [`IAM: users, groups, policies and service accounts in ${IAM_DB_FILE}`],
    close: () => {
      hooks.close()
      return Promise.resolve()
    },
  })
}
