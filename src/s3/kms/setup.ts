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
import { kmsConfigFromEnv } from './config.js'
import { KesKms, type Kms } from './kms.js'

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

/**
 * setupEncryption reads MINIO_KMS_* and connects. Without KMS variables, SSE-C still works and
 * SSE-S3/SSE-KMS answer 501. Throws KmsConfigError (MinIO's message) for an incomplete config, and
 * Error("Failed to connect to KMS: …") when the start-up generate/create fails: start-up must stop.
 */
export async function setupEncryption(env: NodeJS.ProcessEnv, opts: { certsDir?: string; authorizer?: Authorizer; log?: (m: string) => void; keepAliveMs?: number }): Promise<EncryptionSetup> {
  const config = kmsConfigFromEnv(env, opts.certsDir)
  const kms = config === undefined ? undefined : await KesKms.connect(config, { keepAliveMs: opts.keepAliveMs })
  return {
    kms,
    crypto: new SseObjectCrypto({ kms, autoEncryption: config?.autoEncryption === true }),
    subresources: { encryption: bucketEncryptionHandler(kms) },
    extraRoutes: kmsAdminRoutes({ kms, authorizer: opts.authorizer, log: opts.log }),
    close: () => kms?.close(),
  }
}
