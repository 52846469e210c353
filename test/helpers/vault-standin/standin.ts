/**
 * The Vault stand-in: an HTTP(S) server on 127.0.0.1 answering the Vault requests Keyhold makes
 * as a real Vault does (docs/vault.md, "What the stand-in answers"), with knobs to seal it, slow it,
 * break it and deny paths.
 * It is a stand-in for tests only: no real Vault can run on these machines.
 *
 * @module
 */
import http from 'node:http'
import net, { type AddressInfo, type Socket } from 'node:net'
import tls from 'node:tls'
import { login, renewSelf, Tokens, type AuthSpec, type TokenPolicy } from './auth.js'
import { kv1, kv2, type Verb } from './kv.js'
import { listVerbAdapter, VERB_HEADER } from './list-verb.js'
import { denied, fail, noRoute, send, type Reply } from './reply.js'
import { makeMount, mountKey, type Faults, type Health, type LoggedRequest, type Mount, type MountSpec } from './state.js'
import { health } from './sys.js'
import { rotateTransitKey, transit } from './transit.js'

/** Options of {@link startVaultStandin}. */
export interface StandinOptions extends AuthSpec {
  /**
   * PEM server certificate and key; without them the stand-in speaks plain HTTP. With `clientCa`
   * it demands a client certificate signed by that CA (Vault's `tls_require_and_verify_client_cert`).
   */
  tls?: { cert: string; key: string; clientCa?: string }
  /** Mounts (default: KV v1 at `kv`). */
  mounts?: MountSpec[]
  /** Namespaces that exist besides root. */
  namespaces?: string[]
  /** TTL of issued tokens in seconds (default 3600; 0 = never expires). */
  tokenTtlSec?: number
  /** Whether issued tokens are renewable (default true). */
  renewable?: boolean
  /** Max TTL of issued tokens in seconds (default 0 = none). */
  tokenMaxTtlSec?: number
}

/** VaultStandin is a running stand-in and its control panel. */
export class VaultStandin {
  /** Base URL, e.g. `https://127.0.0.1:40123`. */
  url = ''
  readonly health: Health = { initialized: true, sealed: false, standby: false }
  readonly faults: Faults = { latencyMs: 0, failNext: { count: 0, status: 500 }, dropNext: 0, dropAnswerNext: 0, deniedPrefixes: new Set() }
  readonly tokens = new Tokens()
  readonly tokenPolicy: TokenPolicy
  /** Every request received, in order. */
  readonly requests: LoggedRequest[] = []
  /** Called with each request before it is answered: lets a test act "between" two requests. */
  beforeRoute: ((req: LoggedRequest) => void) | undefined
  /** How many TCP (or TLS) connections clients opened: shows connection reuse. */
  connections = 0
  readonly #mounts = new Map<string, Mount>()
  readonly #namespaces: Set<string>
  /** The listening socket server (TCP or TLS); it hands connections to the HTTP parser. */
  readonly #server: net.Server
  readonly #http: http.Server
  readonly #sockets = new Set<Socket>()

  constructor(readonly opts: StandinOptions = {}) {
    this.tokenPolicy = { ttlSec: opts.tokenTtlSec ?? 3600, renewable: opts.renewable ?? true, maxTtlSec: opts.tokenMaxTtlSec ?? 0 }
    this.#namespaces = new Set(['', ...(opts.namespaces ?? [])])
    for (const m of opts.mounts ?? [{ path: 'kv', type: 'kv' }]) this.#mounts.set(mountKey(m.namespace ?? '', m.path), makeMount(m))
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => void this.#handle(req, res)
    this.#http = http.createServer(handler)
    const accept = (s: Socket) => this.#http.emit('connection', listVerbAdapter(s))
    this.#server = opts.tls ? tls.createServer(tlsOptions(opts.tls), accept) : net.createServer(accept)
    // Raw TCP sockets, tracked from accept on (before any TLS handshake), so close() can cut all.
    this.#server.on('connection', (s: Socket) => {
      this.connections++
      this.#sockets.add(s)
      s.on('close', () => this.#sockets.delete(s))
    })
  }

  /** seal makes every non-sys request answer 503 and health report sealed. */
  seal(): void {
    this.health.sealed = true
  }

  /** unseal restores normal service. */
  unseal(): void {
    this.health.sealed = false
  }

  /** deny answers 403 on every path (after `/v1/`) starting with `prefix`, even with a good token. */
  deny(prefix: string): void {
    this.faults.deniedPrefixes.add(prefix)
  }

  /** allow lifts {@link deny}. */
  allow(prefix: string): void {
    this.faults.deniedPrefixes.delete(prefix)
  }

  /**
   * failNext answers the next `count` requests (under `/v1/<pathPrefix>` if given) with `status`,
   * and `message` as the one text of Vault's `errors` (a misbehaving Vault's may be any size).
   */
  failNext(count: number, status = 500, pathPrefix?: string, retryAfter?: string, message = 'stand-in injected failure'): void {
    this.faults.failNext = { count, status, pathPrefix, retryAfter, message }
  }

  /** expireTokens ends every issued token now, as if its TTL had run out. */
  expireTokens(): void {
    this.tokens.expireAll()
  }

  /** rotateTransitKey adds a version to a transit key (`mount` in root). */
  rotateTransitKey(mount: string, key: string): void {
    const m = this.#mounts.get(mountKey('', mount))
    if (m?.type === 'transit') rotateTransitKey(m, key)
  }

  /** mount returns a mount's live state (to inspect or plant secrets), or undefined. */
  mount(path: string, namespace = ''): Mount | undefined {
    return this.#mounts.get(mountKey(namespace, path))
  }

  /** listen starts serving on 127.0.0.1 and an ephemeral port. */
  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve))
    const { port } = this.#server.address() as AddressInfo
    this.url = `${this.opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`
    return this
  }

  /** close stops the server and cuts open connections (what "Vault is down" looks like). Idempotent. */
  async close(): Promise<void> {
    if (!this.#server.listening) {
      for (const s of this.#sockets) s.destroy()
      return
    }
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()))
    for (const s of this.#sockets) s.destroy()
    await closed
  }

  /** restart listens again on the same port with the same state (Vault is back). */
  async restart(): Promise<void> {
    const port = Number(new URL(this.url).port)
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject)
      this.#server.listen(port, '127.0.0.1', () => {
        this.#server.off('error', reject)
        resolve()
      })
    })
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const raw = Buffer.concat(chunks).toString('utf8')
    const url = new URL(req.url ?? '/', 'http://standin')
    const method = req.headers[VERB_HEADER] === 'LIST' ? 'LIST' : (req.method ?? '')
    this.requests.push({ method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers: { ...req.headers }, body: raw })
    if (this.faults.latencyMs > 0) await new Promise((r) => setTimeout(r, this.faults.latencyMs))
    if (this.faults.dropNext > 0) {
      this.faults.dropNext--
      req.socket.destroy()
      return
    }
    if (this.faults.redirectTo) {
      res.writeHead(307, { Location: this.faults.redirectTo + (req.url ?? '/') }).end()
      return
    }
    const f = this.faults.failNext
    if (f.count > 0 && (!f.pathPrefix || url.pathname.startsWith('/v1/' + f.pathPrefix))) {
      f.count--
      if (f.retryAfter) res.setHeader('Retry-After', f.retryAfter)
      send(res, fail(f.status, f.message ?? 'stand-in injected failure'))
      return
    }
    let body: unknown
    try {
      body = raw === '' ? undefined : JSON.parse(raw)
    } catch (err) {
      send(res, fail(400, `failed to parse JSON input: ${(err as Error).message}`))
      return
    }
    this.beforeRoute?.(this.requests.at(-1)!)
    const reply = this.#route(req, url, body)
    if (this.faults.dropAnswerNext > 0) {
      this.faults.dropAnswerNext--
      req.socket.destroy()
      return
    }
    send(res, reply)
  }

  #route(req: http.IncomingMessage, url: URL, body: unknown): Reply {
    const nsHeader = req.headers['x-vault-namespace']
    const namespace = ((Array.isArray(nsHeader) ? nsHeader[0] : nsHeader) ?? '').replace(/^\/+|\/+$/g, '')
    const token = req.headers['x-vault-token'] as string | undefined
    const verb = toVerb(req.headers[VERB_HEADER] === 'LIST' ? 'LIST' : (req.method ?? ''), url.searchParams)
    if (!url.pathname.startsWith('/v1/') || !verb) return fail(405, 'unsupported operation')
    const path = url.pathname.slice('/v1/'.length).replace(/\/+$/, '')
    if (path === 'sys/health') return health(this.health, url.searchParams, namespace)
    if (!this.#namespaces.has(namespace)) return noRoute(path)
    if (this.health.sealed || !this.health.initialized) return fail(503, 'Vault is sealed')
    const loginMatch = /^auth\/(.+)\/login$/.exec(path)
    if (loginMatch && verb === 'PUT') return login(this.opts, this.tokens, this.tokenPolicy, loginMatch[1]!, namespace, body) ?? noRoute(path)
    if (path === 'auth/token/renew-self' && verb === 'PUT') return renewSelf(this.tokens, token, namespace)
    if (!this.tokens.valid(token, namespace)) return denied()
    for (const p of this.faults.deniedPrefixes) if (path.startsWith(p)) return fail(403, '1 error occurred:\n\t* permission denied\n\n')
    const found = this.#findMount(namespace, path)
    if (!found) return noRoute(path)
    const [mount, rest] = found
    if (mount.type === 'transit') return transit(mount, verb, rest, body)
    return mount.version === 1 ? kv1(mount, verb, rest, body) : kv2(mount, verb, rest, url.searchParams, body)
  }

  /** The longest mount path that prefixes `path`, and the rest of the path inside it. */
  #findMount(namespace: string, path: string): [Mount, string] | undefined {
    const parts = path.split('/')
    for (let i = parts.length; i > 0; i--) {
      const mount = this.#mounts.get(mountKey(namespace, parts.slice(0, i).join('/')))
      if (mount) return [mount, parts.slice(i).join('/')]
    }
    return undefined
  }
}

function tlsOptions(t: NonNullable<StandinOptions['tls']>): tls.TlsOptions {
  const base = { cert: t.cert, key: t.key }
  return t.clientCa ? { ...base, ca: t.clientCa, requestCert: true, rejectUnauthorized: true } : base
}

/** Vault treats POST as PUT and `GET ?list=true` as LIST. */
function toVerb(method: string, query: URLSearchParams): Verb | undefined {
  if (method === 'GET') return query.get('list') === 'true' ? 'LIST' : 'GET'
  if (method === 'POST' || method === 'PUT') return 'PUT'
  if (method === 'DELETE' || method === 'LIST') return method
  return undefined
}

/** startVaultStandin creates and starts a Vault stand-in. */
export function startVaultStandin(opts: StandinOptions = {}): Promise<VaultStandin> {
  return new VaultStandin(opts).listen()
}
