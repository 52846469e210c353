/**
 * Vault stand-in: `sys/health` with Vault's default codes and every `*code` override.
 *
 * @module
 */
import { fail, type Reply } from './reply.js'
import type { Health } from './state.js'

const OVERRIDES = [
  'activecode',
  'standbycode',
  'sealedcode',
  'uninitcode',
  'drsecondarycode',
  'performancestandbycode',
  'removedcode',
  'haunhealthycode',
]

/** health answers sys/health; with a namespace header it is `unsupported path`, as Vault Enterprise. */
export function health(state: Health, query: URLSearchParams, namespace: string): Reply {
  if (namespace !== '') return fail(404, 'unsupported path')
  const codes: Record<string, number> = { activecode: 200, standbycode: 429, sealedcode: 503, uninitcode: 501 }
  for (const name of OVERRIDES) {
    const v = query.get(name)
    if (v === null) continue
    const n = Number(v)
    if (!Number.isInteger(n)) return fail(400, `unable to parse ${name} parameter: ${v}`)
    codes[name] = n
  }
  if (query.get('standbyok') === 'true') codes.standbycode = codes.activecode!
  const body: Record<string, unknown> = {
    initialized: state.initialized,
    sealed: state.sealed || !state.initialized,
    standby: state.standby || state.sealed,
    performance_standby: false,
    replication_performance_mode: 'disabled',
    replication_dr_mode: 'disabled',
    server_time_utc: Math.floor(Date.now() / 1000),
    version: '1.15.2',
  }
  if (!state.sealed) Object.assign(body, { cluster_name: 'vault-standin', cluster_id: '00000000-0000-4000-8000-000000000000' })
  const status = !state.initialized
    ? codes.uninitcode!
    : state.sealed
      ? codes.sealedcode!
      : state.standby
        ? codes.standbycode!
        : codes.activecode!
  return { status, body }
}
