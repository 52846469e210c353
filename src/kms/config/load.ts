/**
 * Loading the server config file: YAML → `${VAR}` substitution → zod schema → KES's cross-field
 * checks → a frozen {@link ServerConfig} with TLS material and the policy file already read, so
 * that a reload either fully succeeds or changes nothing.
 *
 * @module
 */
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { dirname, resolve } from 'node:path'
import { loadKeyPair, TlsFileError, type LoadedKeyPair } from '../../lib/tls-files.js'
import { hasCertificate, loadCas, type CaFile } from '../../lib/pem-files.js'
import { isValidName, isValidPattern } from '../api/validate.js'
import { PolicyError, PolicySet, type PolicyDefinition } from '../policy/policy.js'
import { parseVaultConfig } from './vault.js'
import { etcdConfig } from './etcd.js'
import { ConfigSchema, PolicyFileSchema, type RawConfig } from './schema.js'
import { schemaError } from './issues.js'
import { checkLegacy } from './legacy.js'
import { keyDeletionConfig } from './key-deletion.js'
import { ConfigError, parseYaml, yamlValue } from './source.js'
import { DEFAULT_ADDRESS, DEFAULT_CACHE, type KeystoreConfig, type RotationRule, type ServerConfig, type TlsConfig } from './types.js'

// Patterns and the version are taken literally, as KES does
// (docs/kes-compatibility.md, "Environment references in the config").
const noEnv = (path: string[]) => path[0] === 'version' || ((path[0] === 'policy' && (path[2] === 'allow' || path[2] === 'deny')))

/**
 * loadConfigFile reads and validates a server config file. Relative paths in it (TLS files,
 * `policy_file`, `keystore.fs.path`, `keystore.etcd.tls`) are resolved against the file's directory.
 * Throws ConfigError (`kesconf: …`, with file and line where there is one).
 */
export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  return parseConfig(readConfigText(file), resolve(file), env)
}

/** readConfigText returns the text of a config file. Throws ConfigError saying why it cannot be read. */
export function readConfigText(file: string): string {
  try {
    return readFileSync(resolve(file), 'utf8')
  } catch (err) {
    throw unreadable('config file', file, err)
  }
}

/** parseConfig validates config text that came from `file`. Throws ConfigError. */
export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const src = parseYaml(text, file, env, noEnv)
  const json: unknown = yamlValue(src) ?? {}
  checkLegacy(src, json)
  const parsed = ConfigSchema.safeParse(json)
  if (!parsed.success) throw schemaError(src, parsed.error)
  const raw = parsed.data
  const dir = dirname(file)
  const at = (p: string) => resolve(dir, p)

  const address = raw.address?.trim() || DEFAULT_ADDRESS
  if (!isAddress(address)) throw new ConfigError(`invalid address '${address}': want IP:PORT (the host must be an IP address or empty)`)

  const admin = raw.admin.identity.trim()
  if (admin === '') throw new ConfigError('invalid admin identity: no admin identity')

  const auth = String(raw.tls.auth ?? '').toLowerCase()
  if (!['', 'on', 'off', 'true', 'false'].includes(auth)) throw new ConfigError(`invalid tls config: invalid auth '${String(raw.tls.auth)}'`)
  const verifyClients = auth === 'on' || auth === 'true'
  if (raw.tls.key.trim() === '') throw new ConfigError('invalid tls config: no private key')
  if (raw.tls.cert.trim() === '') throw new ConfigError('invalid tls config: no certificate')
  // As in KES, `auth: on` without `tls.ca` verifies client certificates against the system's roots
  // (Node's root store, plus NODE_EXTRA_CA_CERTS).
  const tls = readTls(at(raw.tls.key), at(raw.tls.cert), raw.tls.password ?? undefined, verifyClients, raw.tls.ca ? at(raw.tls.ca) : undefined)

  const keys: string[] = []
  const rotation: RotationRule[] = []
  for (const { name, pattern, rotate } of raw.keys ?? []) {
    if ((name == null) === (pattern == null)) throw new ConfigError("invalid keys entry: give either 'name' or 'pattern'")
    if (name != null) {
      if (!isValidName(name)) throw new ConfigError(`invalid key name '${name}'`)
      if (keys.includes(name)) throw new ConfigError(`key '${name}' is defined multiple times`)
      keys.push(name)
    } else {
      if (pattern === '' || !isValidPattern(pattern!)) throw new ConfigError(`invalid key pattern '${pattern}'`)
      if (rotate == null) throw new ConfigError(`key pattern '${pattern}' needs 'rotate'`)
    }
    if (rotate != null) rotation.push({ pattern: (name ?? pattern)!, everyMs: rotate })
  }

  if (raw.policy != null && raw.policy_file != null) throw new ConfigError("'policy' and 'policy_file' are mutually exclusive")
  const policyFile = raw.policy_file != null ? at(raw.policy_file) : undefined
  const policies = policyFile !== undefined ? loadPolicyFile(policyFile, env) : normalisePolicies(raw.policy ?? {})
  try {
    PolicySet.compile(policies, admin) // fail now, not at the first request
  } catch (err) {
    if (err instanceof PolicyError) throw new ConfigError(err.message)
    throw err
  }

  const api: ServerConfig['api'] = Object.fromEntries(
    Object.entries(raw.api ?? {}).map(([path, o]) => [path, { skipAuth: o?.skip_auth ?? undefined, timeoutMs: o?.timeout ?? undefined }]),
  )
  for (const [path, o] of Object.entries(api)) {
    if (o.timeoutMs === 0) throw new ConfigError(`invalid api config: timeout of '${path}' must be positive`)
  }

  const ks = raw.keystore
  const chosen = (['fs', 'memory', 'vault', 'etcd'] as const).filter((k) => k in ks && (k === 'memory' || ks[k] != null))
  if (chosen.length === 0) throw new ConfigError('no keystore specified')
  if (chosen.length > 1) throw new ConfigError(`more than one keystore specified: ${chosen.join(', ')}`)
  let keystore: KeystoreConfig
  if (chosen[0] === 'fs') keystore = { kind: 'fs', path: at(ks.fs!.path) }
  else if (chosen[0] === 'vault') keystore = { kind: 'vault', config: vaultConfig(ks.vault) }
  else if (chosen[0] === 'etcd') keystore = { kind: 'etcd', config: etcdConfig(ks.etcd!, at) }
  else keystore = { kind: 'memory' }

  const expiry = raw.cache?.expiry
  const keyDeletion = keyDeletionConfig(raw.key_deletion)
  const config: ServerConfig = {
    address,
    admin,
    tls,
    api,
    policies,
    cache: {
      anyMs: expiry?.any || DEFAULT_CACHE.anyMs,
      unusedMs: expiry?.unused || DEFAULT_CACHE.unusedMs,
      offlineMs: expiry?.offline ?? DEFAULT_CACHE.offlineMs,
    },
    log: logConfig(raw.log, at),
    keys,
    ...(rotation.length > 0 ? { rotation } : {}),
    keystore,
    configFile: file,
    ...(policyFile === undefined ? {} : { policyFile }),
    ...(keyDeletion === undefined ? {} : { keyDeletion }),
  }
  return deepFreeze(config)
}

/**
 * loadPolicyFile reads a policy file: a YAML mapping with one top-level `policy:` key, the same
 * shape as the config's `policy:` section. Throws ConfigError naming the file and line.
 */
export function loadPolicyFile(file: string, env: NodeJS.ProcessEnv = process.env): Record<string, PolicyDefinition> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw unreadable('policy file', file, err)
  }
  const src = parseYaml(text, file, env, (p) => p[2] === 'allow' || p[2] === 'deny')
  const parsed = PolicyFileSchema.safeParse(yamlValue(src) ?? {})
  if (!parsed.success) throw schemaError(src, parsed.error)
  return normalisePolicies(parsed.data.policy ?? {})
}

/** A ConfigError that says what to fix: "config file X not found", not an errno. */
function unreadable(what: string, file: string, err: unknown): ConfigError {
  const code = (err as NodeJS.ErrnoException).code
  const why: Record<string, string> = {
    ENOENT: `${what} '${file}' not found`,
    EACCES: `cannot read ${what} '${file}': permission denied`,
    EISDIR: `${what} '${file}' is a directory, not a file`,
  }
  return new ConfigError(why[code ?? ''] ?? `cannot read ${what} '${file}': ${code ?? (err as Error).message}`, { cause: err })
}

function vaultConfig(raw: unknown): ReturnType<typeof parseVaultConfig> {
  try {
    return parseVaultConfig(raw)
  } catch (err) {
    throw new ConfigError(err instanceof Error ? err.message : String(err), { cause: err })
  }
}

function normalisePolicies(raw: Record<string, { allow?: string[] | null; deny?: string[] | null; identities?: string[] | null } | null | undefined>): Record<string, PolicyDefinition> {
  return Object.fromEntries(
    Object.entries(raw).map(([name, p]) => [name, { allow: p?.allow ?? [], deny: p?.deny ?? [], identities: p?.identities ?? [] }]),
  )
}

/**
 * readTls reads and checks the TLS files (key matches certificate, certificate has a SAN) with the shared
 * loader (src/lib/tls-files.ts). Throws ConfigError naming the file, never its content. Also used to re-read
 * rotated certificates.
 */
export function readTls(keyFile: string, certFile: string, password: string | undefined, verifyClients: boolean, ca: string | undefined): TlsConfig {
  let pair: LoadedKeyPair
  try {
    pair = loadKeyPair({ certFile, keyFile, password })
  } catch (err) {
    if (!(err instanceof TlsFileError)) throw err
    throw new ConfigError(tlsFileMessage(err, keyFile, certFile), { cause: err })
  }
  const cert = pair.leaf
  // KES refuses a server certificate without a DNS or IP SAN: clients could never verify it.
  if (cert.subjectAltName === undefined || !/(DNS|IP Address):/.test(cert.subjectAltName)) {
    throw new ConfigError(`invalid tls config: certificate '${certFile}' has no DNS or IP subject alternative name`)
  }
  const tls: TlsConfig = {
    keyPem: pair.keyPem, certPem: pair.certPem, verifyClients, ...(password === undefined ? {} : { password }),
    files: { key: keyFile, cert: certFile, ...(ca === undefined ? {} : { ca }) },
  }
  if (ca !== undefined) tls.caPem = readCa(ca)
  return tls
}

function tlsFileMessage(err: TlsFileError, keyFile: string, certFile: string): string {
  switch (err.problem) {
    case 'unreadable':
      return `invalid tls config: cannot read ${err.file === keyFile ? 'private key' : 'certificate'} '${err.file}': ${err.code ?? 'error'}`
    case 'password-missing':
    case 'password-wrong':
    case 'key':
      return `invalid tls config: cannot parse private key '${keyFile}' (wrong or missing password?)`
    case 'certificate':
      return `invalid tls config: cannot parse certificate '${certFile}'`
    case 'mismatch':
      return `invalid tls config: private key '${keyFile}' does not match certificate '${certFile}'`
  }
}

// `tls.ca` is a PEM file or a directory of PEM files (KES).
function readCa(path: string): string {
  let cas: CaFile[]
  try {
    cas = loadCas(path)
  } catch (err) {
    if (!(err instanceof TlsFileError)) throw err
    throw new ConfigError(`invalid tls config: cannot read CA certificate '${err.file}': ${err.code ?? 'error'}`, { cause: err })
  }
  const pem = cas.map((c) => c.pem).join('\n')
  if (!hasCertificate(pem)) throw new ConfigError(`invalid tls config: no CA certificate in '${path}'`)
  return pem
}

// KES: the host must be an IP literal or empty (all interfaces); names would need resolving.
function isAddress(address: string): boolean {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(address)
  if (m === null || Number(m[3]) > 65535) return false
  const host = m[1] ?? m[2] ?? ''
  return host === '' || isIP(host) !== 0
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}

/** logConfig maps `log:`; a file path in `log.audit` (resolved like the other paths) means audit on, to that file. */
function logConfig(log: RawConfig['log'], at: (p: string) => string): ServerConfig['log'] {
  const audit = log?.audit ?? 'info'
  const error = log?.error ?? 'info'
  return typeof audit === 'object' ? { error, audit: 'info', auditFile: at(audit.file) } : { error, audit }
}
