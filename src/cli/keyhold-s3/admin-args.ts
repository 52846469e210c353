/**
 * Argument parsing shared by the `keyhold-s3 admin` subcommands (mc's flag spelling).
 *
 * @module
 */
import { CliError } from '../errors.js'

const VALUE_FLAGS = new Set(['user', 'group', 'access-key', 'secret-key', 'policy', 'name', 'description', 'expiry', 'status'])
const BOOL_FLAGS = new Set(['insecure', 'json'])

/** Parsed arguments: positionals in order, flags by name. */
export interface AdminArgs {
  positional: string[]
  flags: Map<string, string[]>
  insecure: boolean
  json: boolean
  /** flag returns the last value of a flag, or undefined. */
  flag(name: string): string | undefined
}

/** parseAdminArgs splits `--flag value`, `--flag=value` and positionals. Throws CliError for unknown flags. */
export function parseAdminArgs(args: string[]): AdminArgs {
  const positional: string[] = []
  const flags = new Map<string, string[]>()
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? ''
    if (!a.startsWith('--')) {
      positional.push(a)
      continue
    }
    const eq = a.indexOf('=')
    const name = a.slice(2, eq < 0 ? undefined : eq)
    if (BOOL_FLAGS.has(name)) {
      flags.set(name, ['true'])
      continue
    }
    if (!VALUE_FLAGS.has(name)) throw new CliError(`keyhold-s3: <ERROR> Unknown flag \`--${name}\`.`)
    const value = eq >= 0 ? a.slice(eq + 1) : args[++i]
    if (value === undefined) throw new CliError(`keyhold-s3: <ERROR> Flag \`--${name}\` needs a value.`)
    flags.set(name, [...(flags.get(name) ?? []), value])
  }
  return {
    positional, flags, insecure: flags.has('insecure'), json: flags.has('json'),
    flag: (name) => flags.get(name)?.at(-1),
  }
}

/**
 * parseExpiry turns mc's `--expiry` (RFC 3339, a date, or a duration like 90m, 12h, 30d) into an
 * RFC 3339 time. Throws CliError when it is none of these.
 */
export function parseExpiry(value: string, now = Date.now()): string {
  const d = /^(\d+)([mhd])$/.exec(value)
  if (d) return new Date(now + Number(d[1]) * { m: 60_000, h: 3600_000, d: 86_400_000 }[d[2] as 'm' | 'h' | 'd']).toISOString()
  const t = Date.parse(value)
  if (Number.isNaN(t)) throw new CliError(`keyhold-s3: <ERROR> Invalid expiry \`${value}\`: use RFC 3339 (2026-12-31T00:00:00Z), a date or a duration (12h, 30d).`)
  return new Date(t).toISOString()
}
