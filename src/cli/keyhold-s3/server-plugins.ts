/**
 * Server plugins: how the IAM, SSE and admin parts attach their hooks to `keyhold-s3 server` without editing
 * the server command. Each plugin reads its own configuration (environment) and returns the options it
 * contributes; add one line to SERVER_PLUGINS per part.
 *
 * @module
 */
import type { S3ServerOptions } from '../../s3/options.js'
import { ssePlugin } from '../../s3/kms/plugin.js'
import type { SharedKms } from '../../s3/kms/shared.js'
import { iamPlugin } from '../../s3/iam/plugin.js'

/** What a plugin gets to configure itself. */
export interface PluginContext {
  env: NodeJS.ProcessEnv
  dataDir: string
  certsDir: string
  rootUser: string
  rootPassword: string
  /** PEMs from `<certsDir>/CAs`, for outgoing TLS (e.g. to KES when MINIO_KMS_KES_CAPATH is unset). */
  trustedCAs: string[]
  /** The process's one KMS connection (MINIO_KMS_*): plugins share it; the server command closes it. */
  kms: SharedKms
  log: (message: string) => void
}

/** What a plugin contributes: hooks (merged; extraRoutes and subresources are concatenated) and a closer. */
export interface PluginResult {
  options: Pick<Partial<S3ServerOptions>, 'credentials' | 'authorizer' | 'crypto' | 'extraRoutes' | 'subresources'>
  /** Lines for the start-up banner (e.g. "KMS: https://kes:7373 key minio-default"). */
  banner?: string[]
  close?: () => Promise<void>
}

/** A server plugin; a rejection stops start-up with its message. */
export type ServerPlugin = (ctx: PluginContext) => Promise<PluginResult | undefined>

/** SERVER_PLUGINS run in order at start-up. */
export const SERVER_PLUGINS: ServerPlugin[] = [
  // SSE first: its /minio/admin/v3/kms routes must precede the /minio/admin/v3 router.
  ssePlugin,
  iamPlugin,
]
