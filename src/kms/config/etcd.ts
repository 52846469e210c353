/**
 * The `keystore.etcd` section of the server config: a zod schema (so every error names the field
 * and its line, like the rest of the config) and its conversion to the backend's EtcdConfig.
 * `${VAR}` references are already substituted by the YAML layer. See docs/etcd.md.
 *
 * @module
 */
import { z } from 'zod'
import { ETCD_DEFAULTS, EtcdKeyStore, type EtcdConfig } from '../../../backends/etcd/index.js'
import type { KeyStore } from '../keystore/keystore.js'
import type { Logger } from '../observability/logger.js'
import { parseDuration } from '../../lib/duration.js'

const endpoint = z.string().trim().superRefine((v, ctx) => {
  let url: URL | undefined
  try {
    url = new URL(v)
  } catch {
    url = undefined
  }
  const bare = url !== undefined && (url.pathname === '/' || url.pathname === '') && url.search === '' && url.username === ''
  if (url === undefined || !['https:', 'http:'].includes(url.protocol) || !bare) {
    ctx.addIssue({ code: 'custom', message: `invalid endpoint '${v}' (want e.g. https://etcd-1.example.net:2379)` })
  }
})

const positiveDuration = z.string().transform((v, ctx) => {
  const ms = parseDuration(v)
  if (ms === undefined || ms <= 0) {
    ctx.addIssue({ code: 'custom', message: `invalid duration '${v}' (use e.g. 2s, 500ms)` })
    return z.NEVER
  }
  return ms
})

const nonEmpty = z.string().trim().min(1, 'must not be empty')

/** The YAML shape of `keystore.etcd`. */
export const EtcdSchema = z.strictObject({
  endpoints: z.array(endpoint).min(1, 'at least one endpoint is needed'),
  // A prefix is required in effect (default `keyhold/`): an empty one would watch and list the
  // whole keyspace and could not be confined by an RBAC role.
  prefix: nonEmpty.refine((p) => !p.includes('\0'), 'must not contain NUL').nullish(),
  tls: z
    .strictObject({ ca: nonEmpty.nullish(), cert: nonEmpty.nullish(), key: nonEmpty.nullish() })
    .superRefine((t, ctx) => {
      if (t.cert && !t.key) ctx.addIssue({ code: 'custom', path: ['cert'], message: "a client certificate needs its 'key'" })
      if (t.key && !t.cert) ctx.addIssue({ code: 'custom', path: ['key'], message: "a client key needs its 'cert'" })
    })
    .nullish(),
  auth: z.strictObject({ username: nonEmpty, password: z.string().min(1, 'must not be empty') }).nullish(),
  timeout: positiveDuration.nullish(),
})

/**
 * etcdConfig turns the validated section into the backend's config; `at` resolves file paths
 * against the config file's directory. Never throws.
 */
export function etcdConfig(raw: z.infer<typeof EtcdSchema>, at: (path: string) => string): EtcdConfig {
  const tls = raw.tls ?? {}
  const timeoutMs = raw.timeout ?? ETCD_DEFAULTS.timeoutMs
  return {
    endpoints: raw.endpoints.map((e) => e.replace(/\/+$/, '')),
    prefix: raw.prefix ?? ETCD_DEFAULTS.prefix,
    tls: {
      ...(tls.ca ? { ca: at(tls.ca) } : {}),
      ...(tls.cert ? { cert: at(tls.cert) } : {}),
      ...(tls.key ? { key: at(tls.key) } : {}),
    },
    ...(raw.auth ? { auth: { username: raw.auth.username, password: raw.auth.password } } : {}),
    timeoutMs,
    attemptTimeoutMs: Math.min(ETCD_DEFAULTS.attemptTimeoutMs, timeoutMs),
  }
}

/**
 * connectEtcd connects the keystore; `log` receives the watch's problems as warnings.
 * Throws what {@link EtcdKeyStore.connect} throws (unreachable cluster, refused login, TLS files).
 */
export function connectEtcd(config: EtcdConfig, log?: Logger): Promise<KeyStore> {
  return EtcdKeyStore.connect(config, log ? { log: (message) => log.warn({ keystore: 'etcd' }, message) } : {})
}
