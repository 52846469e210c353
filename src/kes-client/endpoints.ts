/**
 * Server endpoints of a KES client and the failover order between them, as kms-go balances its
 * endpoint list: a localhost endpoint first, else a random start; an endpoint that failed rests
 * for a while before it is tried first again.
 *
 * @module
 */

/** One KES server: its normalised URL (`https://host:port`) and the parts a socket needs. */
export interface Endpoint {
  url: string
  /** Host name or IP address, without IPv6 brackets. */
  host: string
  port: number
}

/** How long an endpoint that failed is passed over (kms-go: 30 s). */
const ENDPOINT_DOWNTIME_MS = 30_000

/**
 * parseEndpoint normalises `https://host:port`, `host:port` or `http://host:port` (the scheme is
 * dropped: KES speaks only HTTPS) into an {@link Endpoint}; the port defaults to 443.
 * Throws TypeError when the string is not a host with an optional port.
 */
export function parseEndpoint(spec: string): Endpoint {
  const trimmed = spec.trim().replace(/^https?:\/\//i, '').replace(/\/+$/, '')
  let url: URL
  try {
    url = new URL(`https://${trimmed}`)
  } catch {
    throw new TypeError(`invalid server endpoint '${spec}'`)
  }
  if (trimmed === '' || url.pathname !== '/' || url.search !== '' || url.username !== '' || url.hostname === '') {
    throw new TypeError(`invalid server endpoint '${spec}'`)
  }
  const port = url.port === '' ? 443 : Number(url.port)
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  return { url: `https://${url.host}`, host, port }
}

/** isLocalhost reports whether an endpoint is on this machine by name or loopback address. */
export function isLocalhost(endpoint: Endpoint): boolean {
  const h = endpoint.host.toLowerCase()
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h)
}

/** Time and randomness, injectable for tests. */
export interface PoolClock {
  now(): number
  random(): number
}

/**
 * EndpointPool decides in which order a request tries the endpoints and remembers which ones
 * recently failed. Pure bookkeeping: it sends nothing.
 */
export class EndpointPool {
  readonly endpoints: readonly Endpoint[]
  readonly #downUntil = new Map<string, number>()
  readonly #clock: PoolClock
  readonly #downtimeMs: number

  /** Throws TypeError when `endpoints` is empty. */
  constructor(endpoints: Endpoint[], opts: { clock?: PoolClock; downtimeMs?: number } = {}) {
    if (endpoints.length === 0) throw new TypeError('no server endpoint given')
    this.endpoints = [...endpoints]
    this.#clock = opts.clock ?? { now: Date.now, random: Math.random }
    this.#downtimeMs = opts.downtimeMs ?? ENDPOINT_DOWNTIME_MS
  }

  /**
   * attemptOrder lists every endpoint once: those not resting first, in rotation from the preferred
   * start (the first localhost endpoint, else a random one), then the resting ones as a last resort,
   * so a request is never refused without trying, and never tries more than all endpoints.
   */
  attemptOrder(): Endpoint[] {
    const n = this.endpoints.length
    const local = this.endpoints.findIndex(isLocalhost)
    const start = local >= 0 ? local : Math.floor(this.#clock.random() * n) % n
    const rotated = [...this.endpoints.slice(start), ...this.endpoints.slice(0, start)]
    const now = this.#clock.now()
    const resting = (e: Endpoint): boolean => (this.#downUntil.get(e.url) ?? 0) > now
    return [...rotated.filter((e) => !resting(e)), ...rotated.filter(resting)]
  }

  /** markDown rests an endpoint for the downtime after a network error or a 5xx answer. */
  markDown(endpoint: Endpoint): void {
    this.#downUntil.set(endpoint.url, this.#clock.now() + this.#downtimeMs)
  }

  /** markUp ends an endpoint's rest early, after it answered well. */
  markUp(endpoint: Endpoint): void {
    this.#downUntil.delete(endpoint.url)
  }
}
