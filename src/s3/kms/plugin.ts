/**
 * The SSE/KMS server plugin of `keyhold-s3 server`: reads MINIO_KMS_*, connects to Keyhold (MinIO's
 * start-up generate, create on 404) and contributes the ObjectCrypto hook, the `?encryption`
 * subresource and the KMS admin routes.
 *
 * @module
 */
import type { PluginContext, PluginResult } from '../../cli/keyhold-s3/server-plugins.js'
import { setupEncryption } from './setup.js'

/**
 * ssePlugin sets up encryption at rest. Rejects with MinIO's message for an incomplete KMS config
 * or "Failed to connect to KMS: …", which stops start-up.
 */
export async function ssePlugin(ctx: PluginContext): Promise<PluginResult> {
  const sse = await setupEncryption(ctx.env, { certsDir: ctx.certsDir, log: ctx.log, kms: ctx.kms })
  const banner: string[] = []
  if (sse.kms !== undefined) {
    const auto = (ctx.env.MINIO_KMS_AUTO_ENCRYPTION ?? '').toLowerCase() === 'on' ? ', auto-encryption on' : ''
    banner.push(`KMS: ${ctx.env.MINIO_KMS_KES_ENDPOINT ?? ''} key ${sse.kms.defaultKey}${auto}`)
  } else {
    // Said at start-up, not discovered later: without a KMS nothing is encrypted at rest unless the client sends SSE-C.
    banner.push('KMS: none (MINIO_KMS_KES_ENDPOINT unset): objects are stored UNENCRYPTED unless a client sends SSE-C keys')
  }
  return {
    options: { crypto: sse.crypto, subresources: sse.subresources, extraRoutes: sse.extraRoutes },
    banner,
    close: async () => sse.close(),
  }
}
