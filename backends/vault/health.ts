/**
 * Vault health: `GET /v1/sys/health` with every non-active state forced to 299, polled every
 * `status.ping`. The last answer gates all key operations.
 *
 * @module
 */
import type { VaultClient } from './client.js'

/** What the last health probe said. */
export type HealthState = 'active' | 'sealed' | 'standby' | 'uninitialized' | 'unreachable'

/** One probe: the state and the round trip. */
export interface HealthReport {
  state: HealthState
  latencyMs: number
}

/** The override parameters of the Go client plus the newer ones, so no state answers an error status. */
const HEALTH_QUERY = {
  uninitcode: '299',
  sealedcode: '299',
  standbycode: '299',
  drsecondarycode: '299',
  performancestandbycode: '299',
  removedcode: '299',
  haunhealthycode: '299',
}

/**
 * probeHealth asks Vault once. Never throws: network errors, timeouts and unparsable answers
 * are reported as `unreachable`. Sent without a namespace (sys/health exists only in root).
 */
async function probeHealth(client: VaultClient, token: string, signal?: AbortSignal): Promise<HealthReport> {
  const start = performance.now()
  let state: HealthState
  try {
    const res = await client.request({ method: 'GET', path: '/v1/sys/health', query: HEALTH_QUERY, token, signal })
    state = classify(res.status, res.body)
  } catch {
    state = 'unreachable'
  }
  return { state, latencyMs: performance.now() - start }
}

function classify(status: number, body: unknown): HealthState {
  if (typeof body !== 'object' || body === null) return 'unreachable'
  if (status !== 200 && status !== 299 && status !== 429) return 'unreachable'
  const b = body as { initialized?: unknown; sealed?: unknown; standby?: unknown }
  if (b.initialized === false) return 'uninitialized'
  if (b.sealed === true) return 'sealed'
  if (b.standby === true) return 'standby'
  if (b.sealed === false) return 'active'
  return 'unreachable'
}

/** HealthMonitor polls Vault in the background and keeps the last state. */
export class HealthMonitor {
  #state: HealthState = 'active'
  #timer: NodeJS.Timeout | undefined
  #stopped = false
  #inflight: Promise<HealthReport> | undefined

  /** `token` supplies the current token (harmless on this unauthenticated path, as the Go client sends it). */
  constructor(
    private readonly client: VaultClient,
    private readonly token: () => string,
    private readonly pingMs: number,
    private readonly onChange: (from: HealthState, to: HealthState) => void,
  ) {}

  /** The state of the last completed probe. */
  get state(): HealthState {
    return this.#state
  }

  /** start probes once now and then every ping interval. Never throws. */
  async start(): Promise<HealthReport> {
    const first = await this.check()
    this.#schedule()
    return first
  }

  /**
   * check probes now (concurrent callers share one probe) and records the result. Never throws.
   * Takes no signal: one caller giving up must not record Vault as unreachable for everyone.
   */
  check(): Promise<HealthReport> {
    this.#inflight ??= probeHealth(this.client, this.token()).then((report) => {
      this.#inflight = undefined
      this.#set(report.state)
      return report
    })
    return this.#inflight
  }

  /** stop ends polling. Idempotent. */
  stop(): void {
    this.#stopped = true
    clearTimeout(this.#timer)
  }

  #set(state: HealthState): void {
    if (this.#stopped || state === this.#state) return
    const from = this.#state
    this.#state = state
    this.onChange(from, state)
  }

  #schedule(): void {
    if (this.#stopped) return
    // While Vault is not usable every operation fails fast, so look again sooner: a blip then
    // costs about a second, not a whole ping interval.
    const delay = this.#state === 'active' ? this.pingMs : Math.min(this.pingMs, 1_000)
    this.#timer = setTimeout(() => {
      void this.check().finally(() => this.#schedule())
    }, delay)
    this.#timer.unref()
  }
}
