/**
 * The zod schema of the server YAML: KES's field names, strict at every level so that a typo is
 * an error instead of a silently ignored setting.
 *
 * @module
 */
import { z } from 'zod'
import { parseDuration } from '../../lib/duration.js'
import { parseLogLevel } from '../observability/audit-target.js'
import { EtcdSchema } from './etcd.js'

// `${VAR}` substitution yields strings, so booleans also accept their YAML spellings as text.
const BOOLS: ReadonlyMap<string, boolean> = new Map([['true', true], ['on', true], ['yes', true], ['false', false], ['off', false], ['no', false]])
const bool = z.union([z.boolean(), z.string()]).transform((v, ctx) => {
  const b = typeof v === 'boolean' ? v : BOOLS.get(v.toLowerCase())
  if (b === undefined) {
    ctx.addIssue({ code: 'custom', message: `invalid boolean '${String(v)}' (use true or false)` })
    return z.NEVER
  }
  return b
})

const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = typeof v === 'number' ? (v === 0 ? 0 : undefined) : parseDuration(v)
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `invalid duration '${String(v)}' (use e.g. 30s, 5m, 1h)` })
    return z.NEVER
  }
  return ms
})

// KES levels: on/off, DEBUG|INFO|WARN|ERROR with an optional ±n, or slog's integer (-4, 0, 4, 8),
// rounded up to the next pino level (a level between INFO and WARN logs from WARN on).
const level = z.union([z.string(), z.boolean()]).transform((v, ctx) => {
  const b = typeof v === 'boolean' ? v : BOOLS.get(v.trim().toLowerCase())
  const n = b !== undefined ? (b ? 0 : 9) : parseLogLevel(String(v))
  if (n === undefined) {
    ctx.addIssue({ code: 'custom', message: `invalid log level '${String(v)}' (use on, off, debug, info, warn, error or e.g. INFO+2)` })
    return z.NEVER
  }
  return n <= -4 ? 'debug' : n <= 0 ? 'info' : n <= 4 ? 'warn' : n <= 8 ? 'error' : 'silent'
})

// A rotation period: a Go duration (`2160h`) or whole days (`90d`), at least one second.
const rotateEvery = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const text = String(v).trim()
  const days = /^([1-9][0-9]{0,4})d$/.exec(text)
  const ms = days ? Number(days[1]) * 86_400_000 : parseDuration(text)
  if (ms === undefined || ms < 1000) {
    ctx.addIssue({ code: 'custom', message: `invalid rotation period '${String(v)}' (use e.g. 90d, 720h; at least 1s)` })
    return z.NEVER
  }
  return ms
})

const stringList = z.array(z.string()).nullish()

/** The YAML shape of one policy. */
const PolicySchema = z.strictObject({ allow: stringList, deny: stringList, identities: stringList })

/** The YAML shape of a policy section (`policy:` in the config, or the policy file). */
const PolicyMapSchema = z.record(z.string(), PolicySchema.nullish())

/** The YAML shape of a policy file: one top-level `policy:` map, as in the server config. */
export const PolicyFileSchema = z.strictObject({ policy: PolicyMapSchema.nullish() })

/** The YAML shape of the server config file. */
export const ConfigSchema = z.strictObject({
  version: z.literal('v1').nullish(),
  address: z.string().nullish(),
  admin: z.strictObject({ identity: z.string() }),
  tls: z.strictObject({
    key: z.string(),
    cert: z.string(),
    password: z.string().nullish(),
    auth: z.union([z.string(), z.boolean()]).nullish(),
    ca: z.string().nullish(),
    proxy: z.unknown().optional(), // parsed but unused, as in KES HEAD
  }),
  api: z.record(z.string(), z.strictObject({ skip_auth: bool.nullish(), timeout: duration.nullish() }).nullish()).nullish(),
  policy: PolicyMapSchema.nullish(),
  policy_file: z.string().nullish(),
  cache: z
    .strictObject({
      expiry: z.strictObject({ any: duration.nullish(), unused: duration.nullish(), offline: duration.nullish() }).nullish(),
    })
    .nullish(),
  // Keyhold extension: scheduled key deletion (load.ts checks the range).
  key_deletion: z.strictObject({ wait: z.preprocess((v) => (v === 'off' || v === false ? 0 : v), duration).nullish() }).nullish(),
  // log.audit also takes a file path (anything with a '/'; no level contains one): see observability/audit-target.ts.
  log: z.strictObject({ error: level.nullish(), audit: z.union([z.string().regex(/\//).transform((file) => ({ file: file.trim() })), level]).nullish() }).nullish(),
  // `name`: a key created at start-up; `pattern` (a name or a prefix with a trailing `*`): keys
  // rotated only. `rotate`: rotate every period (docs/key-rotation.md, "Automatic rotation").
  keys: z.array(z.strictObject({ name: z.string().nullish(), pattern: z.string().nullish(), rotate: rotateEvery.nullish() })).nullish(),
  keystore: z.strictObject({
    fs: z.strictObject({ path: z.string() }).nullish(),
    memory: z.strictObject({}).nullish(),
    vault: z.unknown().optional(),
    etcd: EtcdSchema.nullish(),
  }),
})

/** The parsed (not yet cross-checked) config file. */
export type RawConfig = z.infer<typeof ConfigSchema>
