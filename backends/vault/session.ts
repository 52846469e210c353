/**
 * The Vault token's lifecycle: first login, renewal at 80 % of the TTL (renew-self with retries,
 * else a fresh login), a pause while Vault is sealed, and an on-demand re-login when Vault
 * rejects the token.
 *
 * @module
 */
import { login, renewSelf, type VaultToken } from './auth.js'
import { sleep, type VaultClient } from './client.js'
import type { VaultConfig } from './config.js'
import { VaultHttpError } from './errors.js'
import type { VaultLog } from './log.js'

/** Up to three renew-self attempts, as KES; a 4xx ends them early (the token cannot be renewed). */
const RENEW_ATTEMPTS = 3
/**
 * Below this much remaining lifetime KES logs in again at once instead of renewing; short test
 * TTLs scale it down to a tenth of the TTL so they still exercise renewal.
 */
const MIN_REMAINING_MS = 30_000
/** At most one re-login per this interval in answer to 403s. */
const RELOGIN_MIN_GAP_MS = 1_000
/** Upper bound of the replication-lag wait before a new token is switched in. */
const MAX_SWITCH_DELAY_MS = 30_000

/** Session owns the current token and keeps it alive in the background. */
export class Session {
  #token = ''
  #ttlMs = 0
  #renewable = false
  #obtainedAt = 0
  /** TTL of the last login: renewals that return far less mean the token nears its max TTL. */
  #loginTtlMs = 0
  #stopped = false
  #wake: AbortController = new AbortController()
  #relogin: Promise<void> | undefined
  #lastRelogin = 0
  /** Re-login waits between failed attempts: KES's 3 s, but never longer than the ping interval. */
  readonly #retryMs: number

  constructor(
    private readonly client: VaultClient,
    private readonly cfg: VaultConfig,
    private readonly isSealed: () => boolean,
    private readonly log: VaultLog,
  ) {
    this.#retryMs = Math.max(50, Math.min(3_000, cfg.pingMs))
  }

  /** The current token ('' before the first login). */
  get token(): string {
    return this.#token
  }

  /** start logs in once (throwing login's errors) and starts the renewal loop. */
  async start(signal?: AbortSignal): Promise<void> {
    this.#use(await login(this.client, this.cfg, '', signal))
    this.#loginTtlMs = this.#ttlMs
    void this.#loop()
  }

  /**
   * reloginAfter403 logs in again because Vault refused `usedToken`, unless the token has changed
   * since (another request already logged in) or a re-login happened within the last second (the
   * 403 is then about permissions, and a forbidden path must not cause a login storm).
   * Concurrent callers share one login. Throws login's errors.
   */
  async reloginAfter403(usedToken: string): Promise<void> {
    if (this.#token !== usedToken) return
    if (this.#relogin) return this.#relogin
    if (Date.now() - this.#lastRelogin < RELOGIN_MIN_GAP_MS) return
    this.#lastRelogin = Date.now()
    // No caller's signal: the login is shared, and the client bounds it with its timeout.
    this.#relogin = login(this.client, this.cfg, this.#token)
      .then((t) => {
        this.#use(t)
        this.#loginTtlMs = this.#ttlMs
        this.#wake.abort() // the loop re-plans renewal for the new token
      })
      .finally(() => (this.#relogin = undefined))
    return this.#relogin
  }

  /** stop ends the renewal loop. Idempotent. */
  stop(): void {
    this.#stopped = true
    this.#wake.abort()
  }

  #use(t: VaultToken): void {
    this.#token = t.token
    this.#ttlMs = t.ttlSec * 1000
    this.#renewable = t.renewable
    this.#obtainedAt = Date.now()
  }

  async #loop(): Promise<void> {
    while (!this.#stopped) {
      if (this.#ttlMs === 0) {
        // A non-expiring token is never renewed; only reloginAfter403() wakes us again.
        await this.#wait(2 ** 31 - 1)
        continue
      }
      const dueAt = this.#obtainedAt + this.#ttlMs * 0.8
      if (!(await this.#wait(dueAt - Date.now()))) continue
      while (this.isSealed() && !this.#stopped) await this.#wait(Math.min(1_000, this.cfg.pingMs))
      if (this.#stopped) return
      await this.#renewOrLogin()
    }
  }

  /** Waits `ms`; false when woken early (stop or a new token), true when the time elapsed. */
  async #wait(ms: number): Promise<boolean> {
    const wake = this.#wake
    try {
      await sleep(Math.max(0, Math.min(ms, 2 ** 31 - 1)), wake.signal, true)
      return true
    } catch {
      if (!this.#stopped) this.#wake = new AbortController()
      return false
    }
  }

  async #renewOrLogin(): Promise<void> {
    const remaining = this.#obtainedAt + this.#ttlMs - Date.now()
    if (this.#renewable && remaining >= Math.min(MIN_REMAINING_MS, this.#ttlMs * 0.1)) {
      for (let i = 0; i < RENEW_ATTEMPTS && !this.#stopped; i++) {
        try {
          const renewed = await renewSelf(this.client, this.cfg, this.#token)
          // Near its max TTL Vault grants only the rest; renewing ever shorter leases is
          // pointless, so a fresh login takes over.
          if (renewed.ttlSec * 1000 < Math.min(MIN_REMAINING_MS, this.#loginTtlMs * 0.1)) break
          // renew-self keeps the token; only its lease restarts.
          this.#ttlMs = renewed.ttlSec * 1000
          this.#renewable = renewed.renewable
          this.#obtainedAt = Date.now()
          return
        } catch (err) {
          this.log('warn', 'vault: token renewal failed', { error: describe(err) })
          if (err instanceof VaultHttpError && err.status >= 400 && err.status < 500) break
        }
      }
    }
    // Renewal impossible or failed: log in again, retrying until it works or we stop.
    const oldTtl = this.#ttlMs
    while (!this.#stopped) {
      try {
        const fresh = await login(this.client, this.cfg, this.#token)
        // Give Vault's replication time to see the new token while the old one is still valid.
        const stillValid = this.#obtainedAt + oldTtl - Date.now()
        const delay = Math.min((oldTtl * 0.2) / 2, MAX_SWITCH_DELAY_MS, Math.max(0, stillValid - 100))
        if (delay > 0) await this.#wait(delay)
        if (!this.#stopped) {
          this.#use(fresh)
          this.#loginTtlMs = this.#ttlMs
        }
        return
      } catch (err) {
        this.log('warn', 'vault: login failed', { error: describe(err) })
        await this.#wait(this.#retryMs)
      }
    }
  }
}

/** An error's message only: these errors never carry tokens or secrets. */
export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
