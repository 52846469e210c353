/**
 * System handlers: /version, /v1/ready, /v1/status, /v1/api.
 *
 * On a keystore outage /v1/status mirrors KES HEAD: `keystore_unreachable: true` and no
 * `keystore_unavailable`. kms-go then fails to decode the reply and MinIO shows the KMS as
 * offline, which is what it is; sending both flags would make MinIO report "online".
 *
 * @module
 */
import { availableParallelism, cpus } from 'node:os'
import { findPackage } from '../../lib/package-root.js'
import { isUnreachable } from '../keystore/keystore.js'
import { errStoreUnavailable, errStoreUnreachable } from '../api/errors.js'
import type { ApiHandler } from '../api/route.js'
import { replyEmpty, replyJson } from '../api/reply.js'
import type { ServerContext } from '../state.js'

/** The server version: `KEYHOLD_VERSION`, else package.json's, else `<unknown>` (as KES). */
export const VERSION = process.env.KEYHOLD_VERSION ?? packageVersion()
/** The build commit: `KEYHOLD_COMMIT`, else `<unknown>`. */
export const COMMIT = process.env.KEYHOLD_COMMIT ?? '<unknown>'

function packageVersion(): string {
  return findPackage(import.meta.url)?.version || '<unknown>'
}

/** systemHandlers returns the system handlers bound to `ctx`. */
export function systemHandlers(ctx: ServerContext): Record<'version' | 'ready' | 'status' | 'api', ApiHandler> {
  return {
    async version(_req, res) {
      replyJson(res, { version: VERSION, commit: COMMIT })
    },

    async ready(req, res) {
      try {
        await ctx.keys.status(req.storeSignal)
      } catch (err) {
        if (isUnreachable(err)) throw errStoreUnreachable(err)
        throw errStoreUnavailable(err)
      }
      replyEmpty(res)
    },

    async status(req, res) {
      let latency = 0
      let unreachable = false
      try {
        const state = await ctx.keys.status(req.storeSignal)
        latency = Math.max(1, Math.round(state.latencyMs))
      } catch (err) {
        unreachable = true
        req.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'keystore status probe failed')
      }
      const mem = process.memoryUsage()
      replyJson(res, {
        version: VERSION,
        os: process.platform,
        arch: process.arch,
        uptime: Math.floor((Date.now() - ctx.startedAt.getTime()) / 1000),
        num_cpu: cpus().length,
        num_cpu_used: availableParallelism(),
        mem_heap_used: mem.heapUsed,
        mem_stack_used: 0, // V8 reports no stack total; KES sends Go's stack size here
        ...(latency > 0 ? { keystore_latency: latency } : {}),
        ...(unreachable ? { keystore_unreachable: true } : {}),
      })
    },

    async api(_req, res) {
      const routes = ctx.state.get().routes
      replyJson(
        res,
        routes.map((r) => ({ method: r.method, path: r.path, max_body: r.maxBody, timeout: Math.floor(r.timeoutMs / 1000) })),
      )
    },
  }
}
