/**
 * Test helpers for keyhold-s3: a real TLS server (test CA) on an ephemeral loopback port over a temp data dir,
 * clients (AWS SDK v3, minio JS, env for the aws CLI and boto3) that trust the test CA, a per-file server
 * fixture ({@link useS3}) and {@link s3error} for asserting S3 errors.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { Agent } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CreateBucketCommand, S3Client, S3ServiceException, type S3ClientConfig } from '@aws-sdk/client-s3'
import { afterAll, beforeAll } from 'vitest'
import { createS3Server, type S3Server } from '../../src/s3/server.js'
import type { S3ServerOptions } from '../../src/s3/options.js'
import { testPki, type TestPki } from './pki.js'
import { silentMessageLog } from '../../src/lib/logger.js'

export const ROOT_USER = 'keyholdadmin'
export const ROOT_PASSWORD = 'keyhold-test-secret-1234'

/** A server under test. */
export interface S3Fixture {
  server: S3Server
  pki: TestPki
  dataDir: string
  /** An AWS SDK client for the root user (path-style, default checksums). */
  client(overrides?: Partial<S3ClientConfig>): S3Client
  /** Environment for the aws CLI / boto3 subprocesses. */
  env(): NodeJS.ProcessEnv
  close(): Promise<void>
}

/** startS3 starts a TLS keyhold-s3 over a fresh temp data dir (or the given one). */
export async function startS3(options: Partial<S3ServerOptions> = {}): Promise<S3Fixture> {
  const pki = await testPki()
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'keyhold-s3-test-'))
  const server = await createS3Server({
    rootUser: ROOT_USER, rootPassword: ROOT_PASSWORD, tls: { cert: pki.server.certPem, key: pki.server.keyPem },
    log: silentMessageLog, ...options, dataDir,
  })
  const clients: S3Client[] = []
  return {
    server, pki, dataDir,
    client(overrides = {}) {
      const c = new S3Client({
        endpoint: server.url, region: 'us-east-1', forcePathStyle: true,
        credentials: { accessKeyId: ROOT_USER, secretAccessKey: ROOT_PASSWORD },
        requestHandler: { httpsAgent: new Agent({ ca: pki.ca.certPem, keepAlive: true }) },
        maxAttempts: 1,
        ...overrides,
      })
      clients.push(c)
      return c
    },
    env() {
      return {
        ...process.env, AWS_ACCESS_KEY_ID: ROOT_USER, AWS_SECRET_ACCESS_KEY: ROOT_PASSWORD, AWS_DEFAULT_REGION: 'us-east-1',
        AWS_CA_BUNDLE: pki.ca.certFile, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        AWS_EC2_METADATA_DISABLED: 'true',
      }
    },
    async close() {
      for (const c of clients) c.destroy()
      await server.close()
      if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/**
 * useS3 gives a test file one server: started (with `buckets` created) before its tests, closed after them.
 * The returned fixture delegates to that server; using it outside a test throws Error.
 */
export function useS3(opts: { buckets?: string[] } = {}): S3Fixture {
  let started: S3Fixture | undefined
  beforeAll(async () => {
    started = await startS3()
    for (const Bucket of opts.buckets ?? []) await started.client().send(new CreateBucketCommand({ Bucket }))
  })
  afterAll(async () => {
    await started?.close()
  })
  const fx = (): S3Fixture => {
    if (started === undefined) throw new Error('useS3: the server runs only inside the tests of its file')
    return started
  }
  return {
    get server() { return fx().server },
    get pki() { return fx().pki },
    get dataDir() { return fx().dataDir },
    client: (overrides) => fx().client(overrides),
    env: () => fx().env(),
    close: () => fx().close(),
  }
}

/** s3error awaits `p` and returns the S3 error it rejected with. Throws when `p` resolves or rejects with anything else. */
export async function s3error(p: Promise<unknown>): Promise<S3ServiceException> {
  try {
    await p
  } catch (err) {
    if (err instanceof S3ServiceException) return err
    throw err
  }
  throw new Error('expected an S3 error')
}

/** bodyBytes awaits a GetObject result and reads its whole body. Throws what the request or the read throws. */
export async function bodyBytes(p: Promise<{ Body?: unknown }>): Promise<Buffer> {
  const res = await p
  return Buffer.from(await (res.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray())
}
