/**
 * setupEncryption: everything keyhold-s3's server needs for encryption at rest, from MinIO's
 * environment: the KMS connection (MinIO's start-up probe), the ObjectCrypto hook, the
 * `?encryption` bucket subresource and the KMS admin routes.
 *
 * @module
 */
import type { Authorizer, ExtraRoute, ObjectCrypto, SubresourceHandler } from '../extensions.js'
import { bucketEncryptionHandler } from '../sse/bucket-encryption.js'
import { SseObjectCrypto } from '../sse/object-crypto.js'
import { kmsAdminRoutes } from './admin-router.js'
import type { Kms } from './kms.js'
import { SharedKms } from './shared.js'
import type { KmsEnvironment } from '../config/kms-environment.js'
import type { MessageLog } from '../../lib/logger.js'

/** What {@link setupEncryption} hands to createS3Server (spread into its options), plus `close`. */
export interface EncryptionSetup {
  kms?: Kms
  crypto: ObjectCrypto
  /** `{ encryption }`: merge into the server's subresources. */
  subresources: Record<string, SubresourceHandler>
  /** `/minio/kms/v1` and `/minio/admin/v3/kms`: list them before the `/minio/admin/v3` router. */
  extraRoutes: ExtraRoute[]
  close(): void
}

/** Options of {@link setupEncryption}. */
export interface EncryptionOptions {
  certsDir?: string
  authorizer?: Authorizer
  log?: MessageLog
  keepAliveMs?: number
  /** The process's shared KMS connection (the caller closes it); without it, setupEncryption opens its own. */
  kms?: SharedKms
}

/**
 * setupEncryption connects to the KMS `settings` name (MINIO_KMS_*, already checked; undefined without a KMS)
 * unless `opts.kms` hands in the shared connection. Without a KMS, SSE-C still works and
 * SSE-S3/SSE-KMS answer 501. Throws KmsConfigError (MinIO's message) when the client certificate or key
 * cannot be read, and
 * Error("Failed to connect to KMS: …") when the start-up generate/create fails: start-up must stop.
 */
export async function setupEncryption(settings: KmsEnvironment | undefined, opts: EncryptionOptions): Promise<EncryptionSetup> {
  const shared = opts.kms ?? new SharedKms(settings, { certsDir: opts.certsDir, keepAliveMs: opts.keepAliveMs, log: opts.log })
  const kms = await shared.connect()
  return {
    kms,
    crypto: new SseObjectCrypto({ kms, autoEncryption: shared.config?.autoEncryption === true, log: opts.log }),
    subresources: { encryption: bucketEncryptionHandler(kms) },
    extraRoutes: kmsAdminRoutes({ kms, authorizer: opts.authorizer, log: opts.log }),
    // A connection handed in belongs to the caller, who may share it with other parts.
    close: () => {
      if (opts.kms === undefined) void shared.close()
    },
  }
}
