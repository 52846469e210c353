/**
 * The parts `keyhold-s3 server` attaches to the S3 server, started in order by plain calls: encryption
 * at rest (the KMS connection, the ObjectCrypto hook, `?encryption`, the KMS admin routes), then access
 * control (IAM). Adding a part means adding its call here.
 *
 * @module
 */
import { startIam } from '../../s3/iam/start.js'
import type { S3ServerOptions } from '../../s3/options.js'
import { setupEncryption } from '../../s3/kms/setup.js'
import type { SharedKms } from '../../s3/kms/shared.js'
import type { KmsEnvironment } from '../../s3/config/kms-environment.js'
import type { MessageLog } from '../../lib/logger.js'

/** What the parts need to start. */
export interface ServerPartsContext {
  dataDir: string
  certsDir: string
  rootUser: string
  rootPassword: string
  /** The process's one KMS connection (MINIO_KMS_*, its `settings`): the parts share it; the server command closes it. */
  kms: SharedKms
  log: MessageLog
}

/** What the parts contribute: server options, lines for the start-up banner, and one closer. */
export interface ServerParts {
  options: Pick<S3ServerOptions, 'credentials' | 'authorizer' | 'crypto' | 'extraRoutes' | 'subresources'>
  /** e.g. "KMS: https://kes:7373 key minio-default". */
  banner: string[]
  /** Closes every part (never the shared KMS connection). Throws nothing. */
  close(): Promise<void>
}

/**
 * startServerParts starts encryption, then IAM. Rejects with MinIO's message for an incomplete KMS
 * config, "Failed to connect to KMS: …", or when the IAM database cannot be opened or its secrets
 * sealed; what was started by then is closed again.
 */
export async function startServerParts(ctx: ServerPartsContext): Promise<ServerParts> {
  const sse = await setupEncryption(ctx.kms.settings, { certsDir: ctx.certsDir, log: ctx.log, kms: ctx.kms })
  const iam = await startIam(ctx).catch((err: unknown) => {
    sse.close()
    throw err
  })
  return {
    options: {
      credentials: iam.credentials,
      authorizer: iam.authorizer,
      crypto: sse.crypto,
      // The KMS routes (/minio/admin/v3/kms) must precede IAM's /minio/admin/v3 router.
      extraRoutes: [...sse.extraRoutes, ...iam.extraRoutes],
      subresources: { ...sse.subresources, ...iam.subresources },
    },
    banner: [kmsBanner(ctx.kms.settings, sse.kms?.defaultKey), iam.banner],
    close: () => {
      sse.close()
      iam.close()
      return Promise.resolve()
    },
  }
}

function kmsBanner(settings: KmsEnvironment | undefined, defaultKey: string | undefined): string {
  if (defaultKey === undefined) {
    // Said at start-up, not discovered later: without a KMS nothing is encrypted at rest unless the client sends SSE-C.
    return 'KMS: none (MINIO_KMS_KES_ENDPOINT unset): objects are stored UNENCRYPTED unless a client sends SSE-C keys'
  }
  const auto = settings?.autoEncryption === true ? ', auto-encryption on' : ''
  return `KMS: ${settings?.endpoint ?? ''} key ${defaultKey}${auto}`
}
