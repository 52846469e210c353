/**
 * `keyhold-s3 admin info ALIAS [--json]` (as `mc admin info`) and `keyhold-s3 admin prometheus generate ALIAS
 * [cluster|node]` (as `mc admin prometheus generate`: a Prometheus scrape config with a bearer token signed by
 * the alias's secret key).
 *
 * @module
 */
import { signPrometheusToken } from '../../s3/ops/prometheus-token.js'
import { adminCall, openSession } from './admin-client.js'
import { parseAdminArgs } from './admin-args.js'
import { findAlias, type CliIo } from './alias.js'
import { CliError } from '../errors.js'
import { terminalBlock, terminalJson } from '../../lib/terminal-text.js'

/** MinIO's token lifetime for `prometheus generate`: 100 years. */
const PROMETHEUS_TOKEN_SECONDS = 100 * 365 * 24 * 3600

interface Info {
  mode?: string
  buckets?: { count: number }
  objects?: { count: number }
  usage?: { size: number }
  services?: { kms?: { status?: string; encrypt?: string; decrypt?: string } }
  servers?: Array<{ state?: string; endpoint?: string; uptime?: number; version?: string; drives?: Array<{ state?: string; totalspace?: number; usedspace?: number }> }>
}

/** humanBytes prints bytes as mc does (KiB, MiB, ...). */
function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']
  let v = n
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`
}

function humanDuration(seconds: number): string {
  const parts: Array<[number, string]> = [[86_400, 'day'], [3_600, 'hour'], [60, 'minute'], [1, 'second']]
  for (const [size, name] of parts) {
    if (seconds >= size) {
      const n = Math.floor(seconds / size)
      return `${n} ${name}${n === 1 ? '' : 's'}`
    }
  }
  return '0 seconds'
}

/** renderInfo prints an InfoMessage as `mc admin info` does (the parts keyhold-s3 has), each line escaped for the terminal. Throws nothing. */
export function renderInfo(info: Info): string {
  const lines: string[] = []
  for (const s of info.servers ?? []) {
    const drives = s.drives ?? []
    const ok = drives.filter((d) => d.state === 'ok').length
    lines.push(`${s.state === 'online' ? '●' : '○'}  ${s.endpoint ?? ''}`)
    lines.push(`   Uptime: ${humanDuration(s.uptime ?? 0)}`)
    lines.push(`   Version: ${s.version ?? ''}`)
    lines.push(`   Drives: ${ok}/${drives.length} OK`)
    for (const d of drives) lines.push(`   Space: ${humanBytes(d.usedspace ?? 0)} used of ${humanBytes(d.totalspace ?? 0)}`)
  }
  const kms = info.services?.kms
  if (kms !== undefined) {
    lines.push('', `KMS: ${kms.status ?? 'unknown'}`, `   Encryption: ${kms.encrypt ?? '-'}`, `   Decryption: ${kms.decrypt ?? '-'}`)
  }
  lines.push('', `${humanBytes(info.usage?.size ?? 0)} Used, ${info.buckets?.count ?? 0} Bucket${info.buckets?.count === 1 ? '' : 's'}, ${info.objects?.count ?? 0} Object${info.objects?.count === 1 ? '' : 's'}`)
  // Endpoints, versions and KMS states are the server's text.
  return terminalBlock(lines)
}

/** adminInfoCommand runs `admin info ALIAS [--json] [--insecure]`; returns the exit code. Throws CliError. */
export async function adminInfoCommand(args: string[], io: CliIo): Promise<number> {
  const a = parseAdminArgs(args)
  if (a.positional.length !== 1) throw new CliError('Usage: keyhold-s3 admin info ALIAS [--json]')
  const info = await adminCall(openSession(io.env, a.positional[0]!, a.insecure), 'Unable to get service info', 'GET', '/info') as Info
  io.stdout(a.json ? `${terminalJson(info)}\n` : renderInfo(info))
  return 0
}

/**
 * prometheusConfig renders `mc admin prometheus generate`'s scrape config for an alias. Throws CliError for an
 * unknown metrics type.
 */
export function prometheusConfig(url: string, accessKey: string, secretKey: string, type = 'cluster', nowMs = Date.now()): string {
  if (type !== 'cluster' && type !== 'node') throw new CliError(`Unsupported metrics type \`${type}\`: use cluster or node.`)
  const u = new URL(url)
  const token = signPrometheusToken(accessKey, secretKey, Math.floor(nowMs / 1000) + PROMETHEUS_TOKEN_SECONDS)
  return [
    'scrape_configs:',
    `- job_name: minio-job${type === 'node' ? '-node' : ''}`,
    `  bearer_token: ${token}`,
    `  metrics_path: /minio/v2/metrics/${type}`,
    `  scheme: ${u.protocol.replace(':', '')}`,
    '  static_configs:',
    `  - targets: ['${u.host}']`,
    '',
  ].join('\n')
}

/** adminPrometheusCommand runs `admin prometheus generate ALIAS [cluster|node]`; returns the exit code. Throws CliError. */
export function adminPrometheusCommand(args: string[], io: CliIo): number {
  const [op, aliasName, type, ...extra] = args
  if (op !== 'generate' || aliasName === undefined || extra.length > 0) throw new CliError('Usage: keyhold-s3 admin prometheus generate ALIAS [cluster|node]')
  const alias = findAlias(io.env, aliasName)
  io.stdout(prometheusConfig(alias.url, alias.accessKey, alias.secretKey, type))
  return 0
}
