/**
 * MinIO's ServerInfo (`GET /minio/admin/v3/info`, `cmd/admin-handlers.go`) in madmin's InfoMessage shape, so
 * `mc admin info`, madmin-go and `keyhold-s3 admin info` work: version, uptime, the one drive (DATA_DIR) with
 * its space, bucket/object counts and usage, and the KMS status (a generate/decrypt check, as MinIO).
 * SigV4-authenticated, authorized as `admin:ServerInfo`.
 *
 * @module
 */
import { requestConditions } from '../api/conditions.js'
import { statfsSync } from 'node:fs'
import express, { type Request, type Response, type Router } from 'express'
import { COMMIT, VERSION } from '../../kms/handlers/system.js'
import { sendAdminError } from '../admin/respond.js'
import { S3Error } from '../api/errors.js'
import { iamErr } from '../iam/errors.js'
import type { ExtensionContext, ExtraRoute, S3Action } from '../extensions.js'
import type { Kms } from '../kms/kms.js'
import type { BucketUsage } from './metrics.js'

/** What ServerInfo reports on. */
export interface InfoSources {
  dataDir: string
  region: string
  kms?: Kms
  usage: () => BucketUsage[]
  startedAt: number
}

/** driveOf describes DATA_DIR as madmin's Disk. Never throws (space 0 when statfs fails). */
function driveOf(dataDir: string, endpoint: string): Record<string, unknown> {
  let total = 0
  let avail = 0
  try {
    const s = statfsSync(dataDir)
    total = s.blocks * s.bsize
    avail = s.bavail * s.bsize
  } catch {
    // Reported as zero space: the info call must still answer.
  }
  return {
    endpoint, path: dataDir, state: 'ok', major: 0, minor: 0,
    totalspace: total, usedspace: Math.max(0, total - avail), availspace: avail,
  }
}

/** kmsOf runs MinIO's KMS check for ServerInfo (`fetchKMSStatus`). Never throws. */
async function kmsOf(kms: Kms | undefined): Promise<Record<string, unknown> | undefined> {
  if (kms === undefined) return undefined
  const s = await kms.keyStatus('')
  const unreachable = kms.monitor !== undefined && !kms.monitor.online
  return {
    status: unreachable ? 'offline' : 'online',
    encrypt: s['encryption-error'] === undefined ? 'success' : `Encryption failed: ${s['encryption-error']}`,
    decrypt: s['encryption-error'] !== undefined ? undefined
      : s['decryption-error'] === undefined ? 'success' : `Decryption failed: ${s['decryption-error']}`,
  }
}

/** serverInfo builds the InfoMessage. Never throws. */
async function serverInfo(src: InfoSources, endpoint: string, scheme: string): Promise<Record<string, unknown>> {
  let usage: BucketUsage[] = []
  let usageError: string | undefined
  try {
    usage = src.usage()
  } catch (err) {
    usageError = (err as Error).message
  }
  const objects = usage.reduce((n, u) => n + u.objects, 0)
  const bytes = usage.reduce((n, u) => n + u.bytes, 0)
  const kms = await kmsOf(src.kms)
  const mem = process.memoryUsage()
  return {
    mode: 'online',
    region: src.region,
    buckets: { count: usage.length, ...(usageError === undefined ? {} : { error: usageError }) },
    objects: { count: objects },
    versions: { count: objects },
    usage: { size: bytes },
    services: kms === undefined ? {} : { kms, kmsStatus: [{ ...kms, endpoint: 'kes' }] },
    backend: { backendType: 'Erasure', onlineDisks: 1, offlineDisks: 0, standardSCParity: 0, rrSCParity: 0 },
    servers: [{
      state: 'online', endpoint, scheme, uptime: Math.floor((Date.now() - src.startedAt) / 1000),
      version: `keyhold-s3 ${VERSION}`, commitID: COMMIT, network: { [endpoint]: 'online' },
      drives: [driveOf(src.dataDir, endpoint)], poolNumber: 1,
      mem_stats: { Alloc: mem.heapUsed, TotalAlloc: mem.heapTotal, Mallocs: 0, Frees: 0, HeapAlloc: mem.heapUsed },
      num_cpu: 0, runtime_version: process.version,
    }],
  }
}

function router(src: InfoSources, ctx: ExtensionContext): Router {
  const r = express.Router()
  r.get('/', async (req: Request, res: Response) => {
    const resource = req.originalUrl.split('?')[0] ?? ''
    try {
      const { credential } = await ctx.authenticate(req, { maxBody: 0 })
      const allowed = credential !== null && ctx.authorizer !== undefined &&
        await ctx.authorizer.authorize({ principal: credential.principal, action: 'admin:ServerInfo' as S3Action, conditions: requestConditions(req, credential.principal) })
      if (!allowed) return sendAdminError(res, iamErr('AccessDenied'), resource)
      const scheme = (req.socket as { encrypted?: boolean }).encrypted === true ? 'https' : 'http'
      res.status(200).type('application/json').send(JSON.stringify(await serverInfo(src, req.get('host') ?? '', scheme)))
    } catch (err) {
      if (err instanceof S3Error) return sendAdminError(res, err, resource)
      sendAdminError(res, iamErr('InternalError'), resource)
    }
  })
  return r
}

/** serverInfoRoute is the `/minio/admin/v3/info` route; list it before the `/minio/admin/v3` router. */
export function serverInfoRoute(src: InfoSources): ExtraRoute {
  return { prefix: '/minio/admin/v3/info', router: (ctx) => router(src, ctx) }
}
