/**
 * keyhold-s3 wired to a real Keyhold exactly as the `MINIO_KMS_KES_*` environment does it, over TLS,
 * with an AWS SDK client for it.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Agent } from 'node:https'
import { S3Client } from '@aws-sdk/client-s3'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import { rootOnlyAuthorizer } from '../../../src/s3/defaults.js'
import { readKmsEnvironment, type KmsEnvironment } from '../../../src/s3/config/kms-environment.js'
import { setupEncryption, type EncryptionSetup } from '../../../src/s3/kms/setup.js'
import { createS3Server, type S3Server } from '../../../src/s3/server.js'
import { testPki } from '../../helpers/pki.js'
import type { Keyhold } from './keyhold.js'
import { silentMessageLog } from '../../../src/lib/logger.js'

export const ROOT = { user: 'minioadmin', password: 'minioadmin-secret' }

export interface Store {
  server: S3Server
  sse: EncryptionSetup
  dataDir: string
  client: S3Client
  /** The CA (PEM) that signed the server's certificate. */
  ca: string
  close(): Promise<void>
}

export function kesEnv(kh: Keyhold, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    MINIO_KMS_KES_ENDPOINT: kh.url,
    MINIO_KMS_KES_KEY_NAME: 'minio-default',
    MINIO_KMS_KES_CERT_FILE: kh.store.certFile,
    MINIO_KMS_KES_KEY_FILE: kh.store.keyFile,
    MINIO_KMS_KES_CAPATH: kh.ca.certFile,
    ...extra,
  }
}

/** kesSettings is {@link kesEnv} read and checked as the server reads it. */
export function kesSettings(kh: Keyhold, extra: Record<string, string> = {}): KmsEnvironment | undefined {
  return readKmsEnvironment(kesEnv(kh, extra))
}

export async function startStore(env: NodeJS.ProcessEnv, opts: { dataDir?: string; tls?: boolean } = {}): Promise<Store> {
  const pki = await testPki()
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'keyhold-s3-sse-'))
  const sse = await setupEncryption(readKmsEnvironment(env), { authorizer: rootOnlyAuthorizer, keepAliveMs: 0 })
  const server = await createS3Server({
    dataDir, rootUser: ROOT.user, rootPassword: ROOT.password,
    tls: opts.tls === false ? undefined : { cert: pki.server.certPem, key: pki.server.keyPem },
    crypto: sse.crypto, subresources: sse.subresources, extraRoutes: sse.extraRoutes, log: silentMessageLog,
  })
  const client = new S3Client({
    endpoint: server.url, region: 'us-east-1', forcePathStyle: true,
    credentials: { accessKeyId: ROOT.user, secretAccessKey: ROOT.password },
    requestHandler: new NodeHttpHandler({ httpsAgent: new Agent({ ca: pki.ca.certPem, keepAlive: true }) }),
  })
  return {
    server, sse, dataDir, client, ca: pki.ca.certPem,
    async close() {
      client.destroy()
      await server.close()
      sse.close()
    },
  }
}
