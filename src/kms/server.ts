/**
 * The KMS server: an HTTP/2 + HTTP/1.1 listener (listener.ts) with mutual TLS in front of our dispatcher, the
 * key cache, and reloads that swap the whole state atomically (SIGHUP, policy-file changes,
 * `reload()`). An invalid new config is logged with its reason and the old one keeps running.
 *
 * @module
 */
import type { TLSSocket } from 'node:tls'
import type { AddressInfo } from 'node:net'
import { generateKeyVersion } from './crypto/key.js'
import { KeyExistsError } from './keystore/keystore.js'
import { KeyCache } from './keystore/cache.js'
import { VersionedKeyStore } from './keystore/versioned-store.js'
import { startRotationSchedule } from './keystore/rotation-schedule.js'
import type { AuditRecord } from './observability/audit-record.js'
import type { KeyTurns } from './keystore/key-turns.js'
import type { CachePeers } from './keystore/peers.js'
import { KeyStates } from './keystore/key-states.js'
import { startKeyPurge } from './keystore/key-purge.js'
import type { KeyState } from './keystore/key-state.js'
import { dispatcher, makeRouteTable } from './api/dispatch.js'
import { errorHandler } from './api/error-handler.js'
import { entry } from './api/entry.js'
import type { Middleware } from './api/http-types.js'
import { mountRoute, type Route } from './api/route.js'
import { kesRoutes, type ExtraHandlers } from './routes.js'
import { authenticator } from './auth/authorize.js'
import { connectKeystore, sameKeystore } from './config/keystore.js'
import { loadConfigFile, loadPolicyFile, readTls } from './config/load.js'
import type { ServerConfig } from './config/types.js'
import { createLogger, type Logger } from './observability/logger.js'
import { timedKeyStore, type KeystoreObserver } from './observability/keystore-metrics.js'
import { PolicySet } from './policy/policy.js'
import { applyOverrides, StateRef, type ServerContext, type ServerState } from './state.js'
import { watchConfigFiles } from './config/watch.js'
import { createKmsListener, type ListenerLimits, type RequestListener } from './listener.js'
import { gracefulCloser } from '../lib/graceful-close.js'
import { parseHostPort } from '../lib/host-port.js'
import { keyFileModeWarning } from '../lib/tls-files.js'

/** Options of {@link startKmsServer} beyond the config. */
export interface KmsServerOptions {
  /** The error logger (default: pino to stderr at `config.log.error`). */
  log?: Logger
  /** Outermost middlewares per route (metrics, audit), in order. */
  wrappers?: (route: Route) => Middleware[]
  /** Middlewares for every request, before routing (the audit log: 404s and redirects are requests too). */
  requestWrappers?: Middleware[]
  /** Handlers for /v1/metrics and /v1/log/* (501 until given). */
  extraHandlers?: ExtraHandlers
  /** In a cluster worker: the other workers' key caches, told about every key change made here (keystore/peers.ts). */
  peers?: CachePeers
  /** In a cluster worker: where rotations and deletions of one key take turns with the other workers' (keystore/key-turns.ts). */
  turns?: KeyTurns
  /** Reload on SIGHUP (the CLI sets this; tests and embedders usually do not). */
  handleSignals?: boolean
  /** Watch the policy file and reload when it changes (default true). */
  watchPolicyFile?: boolean
  /** Interval of the keystore status probe in ms (default 10 s). */
  probeMs?: number
  /** How often TLS files named in the config are checked for changes (default 15 min, as KES; 0 disables). */
  tlsRefreshMs?: number
  /**
   * Log what every worker would log alike: a successful reload at info level, a TLS private key file that group
   * or others may access at warn level (default true; the workers other than one set false: debug level).
   */
  announceReloads?: boolean
  /** Connection limits other than the listener's defaults (tests shorten the timeouts). */
  listenerLimits?: Partial<ListenerLimits>
  /** Receives key-cache hits/misses and keystore call durations (the metrics). */
  keystoreObserver?: KeystoreObserver
  /** Run the automatic rotation of the config's `keys:` (default true; in a cluster, one worker only). */
  rotateKeys?: boolean
  /** Writes an audit record for what the server does on its own (automatic rotation). */
  audit?: (record: AuditRecord) => void
  /** Between runs of the purge of keys whose scheduled deletion is due (default 60 s). */
  keyPurgeIntervalMs?: number
  /** Told about every key the purge deleted (the audit log). */
  onKeyPurged?: (name: string, state: KeyState) => void
}

/** A running KMS server. */
export interface KmsServer {
  /** `https://host:port` to reach the server (a wildcard address is reported as 127.0.0.1). */
  url: string
  address: AddressInfo
  /** The current configuration. */
  config(): ServerConfig
  /** Re-reads the config file (or policy file) and swaps the state. Throws ConfigError and keeps the old state. */
  reload(): Promise<void>
  /**
   * Stops listening, lets requests in flight finish for up to `graceMs` (default 0), drops the
   * connections, closes the keystore. Resolves with the number of requests cut. Idempotent.
   */
  close(graceMs?: number): Promise<number>
}

/**
 * A KMS server that does not listen yet: the whole request pipeline as a request listener, and
 * {@link KmsApp.listen} to serve it. Benchmarks and embedders drive `handler` directly.
 */
export interface KmsApp {
  /**
   * The pipeline (dispatch, auth, policy, handlers, audit and metrics wrappers, error replies) as
   * a node:http request listener. Throws nothing; every failure is answered on `res`. The
   * identity comes from the request's TLS socket (api/connection.ts).
   */
  handler: RequestListener
  /**
   * listen serves `handler` on the config's address over HTTP/2 and HTTP/1.1 with mutual TLS, and
   * starts the reload machinery. Call it at most once. Throws when the address cannot be bound;
   * then the app is still open (call {@link KmsApp.close}).
   */
  listen(): Promise<KmsServer>
  /** Releases the key cache and the keystore of an app that never listened (a listening one closes through its KmsServer). Idempotent. */
  close(): Promise<void>
}

/**
 * createKmsServer connects the keystore, creates the `keys:` of the config and builds the
 * request pipeline, without listening. Throws when the keystore cannot be opened or a start-up
 * key cannot be created (and then holds nothing open).
 */
export async function createKmsServer(config: ServerConfig, options: KmsServerOptions = {}): Promise<KmsApp> {
  const log = options.log ?? createLogger(config.log.error)
  const observer = options.keystoreObserver
  const backend = await connectKeystore(config.keystore, log)
  // Versions of rotated keys live beside them in the store and are hidden from everything else.
  const store = new VersionedKeyStore(observer ? timedKeyStore(backend, observer) : backend, options.turns)
  const keys = new KeyCache(store, {
    ...config.cache,
    ...(observer ? { onLookup: (hit: boolean) => observer.lookup(hit) } : {}),
    ...(options.probeMs !== undefined ? { probeMs: options.probeMs } : {}),
    // In a cluster worker: the other workers' caches, told about every key change made here.
    ...(options.peers !== undefined ? { peers: options.peers } : {}),
    onOfflineChange: (offline, cause) =>
      offline ? log.error({ err: errText(cause), keystore: store.toString() }, 'keystore is unreachable') : log.info('keystore is reachable again'),
  })
  // A keystore that can notify (etcd) drops keys changed by other servers from this cache.
  const states = new KeyStates(store, { anyMs: config.cache.anyMs, ...(options.peers !== undefined ? { peers: options.peers } : {}) })
  const stateRef = new StateRef()
  const ctx: ServerContext = { state: stateRef, keys, states, log, startedAt: new Date() }
  const baseRoutes = kesRoutes(ctx, options.extraHandlers)
  const authenticate = authenticator(() => stateRef.get(), log)

  const buildState = (cfg: ServerConfig): ServerState => {
    const routes = applyOverrides(baseRoutes, cfg.api)
    for (const path of Object.keys(cfg.api)) {
      // KES ignores unknown paths here; a warning catches `/v1/key/create` for `/v1/key/create/`.
      if (!routes.some((r) => r.path === path)) log.warn({ path }, "config: 'api' names no route; the setting is ignored")
    }
    const chains = routes.map((r) => [r.path, mountRoute(r, { authenticate, log, wrappers: options.wrappers?.(r) ?? [] })] as const)
    return {
      config: cfg,
      admin: cfg.admin,
      policies: PolicySet.compile(cfg.policies, cfg.admin),
      routes,
      table: makeRouteTable(chains),
      anySkipAuth: routes.some((r) => r.auth === 'skip'),
      loadedAt: new Date(),
    }
  }
  stateRef.swap(buildState(config))

  try {
    for (const name of config.keys) {
      await keys.create(name, generateKeyVersion(config.admin), AbortSignal.timeout(15_000)).catch((err: unknown) => {
        if (!(err instanceof KeyExistsError)) throw err
      })
    }
  } catch (err) {
    states.close()
    await keys.close() // no timers or store handles outlive a failed start
    throw err
  }
  const handler = entry([...(options.requestWrappers ?? []), dispatcher(() => stateRef.get().table)], errorHandler(log))
  let listened = false
  let keysClosed: Promise<void> | undefined
  const closeKeys = () => (keysClosed ??= (async () => {
    states.close()
    await keys.close()
  })())
  return {
    handler,
    listen: () => {
      if (listened) return Promise.reject(new Error('createKmsServer: listen() was called already'))
      listened = true
      return listen(config, options, { stateRef, keys, states, closeKeys, log, buildState, handler })
    },
    close: closeKeys,
  }
}

/**
 * startKmsServer creates the server ({@link createKmsServer}) and listens. Throws when the
 * keystore cannot be opened, a start-up key cannot be created, or the address cannot be bound.
 */
export async function startKmsServer(config: ServerConfig, options: KmsServerOptions = {}): Promise<KmsServer> {
  const app = await createKmsServer(config, options)
  try {
    return await app.listen()
  } catch (err) {
    await app.close()
    throw err
  }
}


interface Core {
  stateRef: StateRef
  keys: KeyCache
  states: KeyStates
  /** Closes the key states, the key cache and the keystore once, however often called. */
  closeKeys: () => Promise<void>
  log: Logger
  buildState: (cfg: ServerConfig) => ServerState
  handler: RequestListener
}

/** listen runs the HTTPS listener and the reload machinery over a built core. Throws when the address cannot be bound. */
async function listen(config: ServerConfig, options: KmsServerOptions, { stateRef, keys, states, closeKeys, log, buildState, handler }: Core): Promise<KmsServer> {

  // Node has no RequireAnyClientCert: refuse cert-less clients right after the handshake unless
  // some route is skip_auth (then they get 400 `tls: client certificate is required` per request).
  const gate = (socket: TLSSocket) => {
    const state = stateRef.get()
    const cert = socket.getPeerCertificate()
    const hasCert = cert !== null && Object.keys(cert).length > 0
    if (!hasCert && !state.anySkipAuth) socket.destroy()
    else if (hasCert && state.config.tls.verifyClients && !socket.authorized) socket.destroy()
  }
  const listener = createKmsListener(
    {
      ...tlsOptions(config),
      // We request a certificate but judge it ourselves (gate above), so that auth mode and CA
      // can change on reload, and so skip_auth routes can be reached without one (KES semantics).
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
    },
    gate,
    handler,
    options.listenerLimits,
  )
  const { server } = listener
  server.on('tlsClientError', (err) => log.debug({ err: err.message }, 'TLS handshake failed'))
  const closer = gracefulCloser({
    prependListener: (event, fn) => server.prependListener(event, fn as never),
    close: (callback) => server.close(callback),
    closeIdleConnections: listener.closeIdleConnections,
    closeAllConnections: listener.closeAllConnections,
  })

  const { host, port } = splitAddress(config.address)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  // A key file group or others may access is warned about at start and at every reload of the TLS files, never
  // refused: a drop-in must start with the key files deployments already have (docs/operations.md). A key not
  // read from a file (--dev) has no mode to check.
  const warnKeyFileMode = (cfg: ServerConfig): void => {
    const warning = cfg.tls.files === undefined ? undefined : keyFileModeWarning(cfg.tls.files.key)
    if (warning === undefined) return
    if (options.announceReloads === false) log.debug(warning)
    else log.warn(warning)
  }
  warnKeyFileMode(config)
  const address = server.address() as AddressInfo
  const urlHost = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '[::1]' : address.family === 'IPv6' ? `[${address.address}]` : address.address

  const reload = async (): Promise<void> => {
    const old = stateRef.get().config
    let next: ServerConfig
    let state: ServerState
    try {
      next = old.configFile !== undefined ? loadConfigFile(old.configFile) : withPolicies(old)
      // The listener stays where it is (and `--addr` keeps winning over the file).
      next = { ...next, address: old.address }
      if (!sameKeystore(old.keystore, next.keystore)) {
        log.warn('reload: keystore changes take effect only after a restart; keeping the current keystore')
        next = { ...next, keystore: old.keystore }
      }
      state = buildState(next)
      server.setSecureContext(tlsOptions(next))
    } catch (err) {
      log.error({ err: errText(err) }, 'reload failed: keeping the current configuration')
      throw err
    }
    stateRef.swap(state)
    keys.setExpiry(next.cache)
    states.setExpiry(next.cache.anyMs)
    log.level = next.log.error
    watches.follow(next)
    warnKeyFileMode(next)
    // Every worker reloads; one of them says so (the others at debug level).
    const announce = options.announceReloads === false ? log.debug.bind(log) : log.info.bind(log)
    announce({ policies: state.policies.names().length }, 'configuration reloaded')
  }

  // Rotated certificates (cert-manager, ACME) are picked up without a SIGHUP, as in KES.
  const refreshTls = (): void => {
    const current = stateRef.get()
    const { tls } = current.config
    if (tls.files === undefined) return
    try {
      const fresh = readTls(tls.files.key, tls.files.cert, tls.password, tls.verifyClients, tls.files.ca)
      if (fresh.certPem === tls.certPem && fresh.keyPem === tls.keyPem && fresh.caPem === tls.caPem) return
      const config = { ...current.config, tls: fresh }
      server.setSecureContext(tlsOptions(config))
      stateRef.swap({ ...current, config })
      log.info({ cert: tls.files.cert }, 'TLS certificate reloaded')
      warnKeyFileMode(config)
    } catch (err) {
      log.warn({ err: errText(err) }, 'TLS files changed but cannot be used: keeping the current certificate')
    }
  }
  const watches = watchConfigFiles(stateRef.get().config, {
    policyFile: options.watchPolicyFile !== false,
    tlsRefreshMs: options.tlsRefreshMs ?? 15 * 60_000,
    onPolicyChange: () => void reload().catch(() => {}),
    onTlsChange: refreshTls,
  })

  // Scheduled deletions that became due, also while no server ran (keystore/key-purge.ts).
  const stopPurge = startKeyPurge(
    {
      store: keys.store,
      keys,
      states,
      onPurged: (name, state) => {
        log.warn({ key: name, scheduledBy: state.changedBy }, 'key purged: its scheduled deletion time has passed')
        options.onKeyPurged?.(name, state)
      },
      onError: (name, err) => log.error({ key: name, err: errText(err) }, 'key purge failed: retrying at the next run'),
    },
    {
      ...(options.keyPurgeIntervalMs !== undefined ? { intervalMs: options.keyPurgeIntervalMs } : {}),
      onRunError: (err) => log.error({ err: errText(err) }, 'key purge could not list key states: retrying at the next run'),
    },
  )

  const onHup = () => void reload().catch(() => {})
  if (options.handleSignals === true) process.on('SIGHUP', onHup)

  const rotation = options.rotateKeys === false ? undefined : startRotationSchedule({
    keys,
    rules: () => stateRef.get().config.rotation ?? [],
    createdBy: () => stateRef.get().config.admin,
    log,
    onRotated: (record) => options.audit?.(record),
  })

  let closing: Promise<number> | undefined
  const close = (graceMs = 0) => {
    closing ??= (async () => {
      process.off('SIGHUP', onHup)
      watches.close()
      await rotation?.stop()
      const cut = await closer.close(graceMs)
      await stopPurge()
      await closeKeys()
      return cut
    })()
    return closing
  }

  return { url: `https://${urlHost}:${address.port}`, address, config: () => stateRef.get().config, reload, close }
}

function tlsOptions(config: ServerConfig) {
  const { tls } = config
  return {
    key: tls.keyPem,
    cert: tls.certPem,
    ...(tls.password !== undefined ? { passphrase: tls.password } : {}),
    ...(tls.caPem !== undefined ? { ca: tls.caPem } : {}),
  }
}

// A programmatic config with a policy file but no config file reloads just the policies.
function withPolicies(config: ServerConfig): ServerConfig {
  return config.policyFile === undefined ? config : { ...config, policies: loadPolicyFile(config.policyFile) }
}

/** splitAddress parses `host:port`, `[v6]:port` or `:port` (empty host = all interfaces). Throws on garbage. */
export function splitAddress(address: string): { host: string; port: number } {
  const parsed = parseHostPort(address.trim())
  if (parsed === undefined) throw new Error(`invalid address '${address}' (want HOST:PORT)`)
  return { host: parsed.host || '0.0.0.0', port: parsed.port }
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
