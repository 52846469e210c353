/**
 * The server state: everything a reload may change (config, policies, route overrides, the
 * dispatch table), held as one immutable value and swapped atomically. Requests read it once
 * through {@link StateRef.get}; a reload builds a complete new state first, so a request never
 * sees half of an old and half of a new config.
 *
 * @module
 */
import type { RouteTable } from './api/dispatch.js'
import type { Route } from './api/route.js'
import type { ServerConfig } from './config/types.js'
import type { KeyCache } from './keystore/cache.js'
import type { KeyStates } from './keystore/key-states.js'
import type { Logger } from './observability/logger.js'
import type { PolicySet } from './policy/policy.js'

/** One consistent snapshot of reloadable state. */
export interface ServerState {
  readonly config: ServerConfig
  readonly admin: string
  readonly policies: PolicySet
  /** The route table with the config's `api:` overrides applied (what /v1/api reports). */
  readonly routes: readonly Route[]
  readonly table: RouteTable
  /** Some route has `skip_auth`: clients without a certificate may complete the handshake. */
  readonly anySkipAuth: boolean
  /** When this state was loaded: KES reports it as the creation time of policies. */
  readonly loadedAt: Date
}

/** StateRef holds the current state. It is created empty because handlers need it before the first state exists. */
export class StateRef {
  #current: ServerState | undefined

  /** get returns the current state. Throws before the first {@link swap}. */
  get(): ServerState {
    if (this.#current === undefined) throw new Error('server state used before it was built')
    return this.#current
  }

  /** swap replaces the state; requests already running keep the snapshot they took. */
  swap(next: ServerState): void {
    this.#current = next
  }
}

/** What handlers need from the server, besides the request. */
export interface ServerContext {
  readonly state: StateRef
  readonly keys: KeyCache
  /** Key states: disabled, scheduled for deletion (keystore/key-state.ts). */
  readonly states: KeyStates
  readonly log: Logger
  readonly startedAt: Date
}

/**
 * applyOverrides applies the config's `api:` section to the route table: only `timeout` and
 * `skip_auth` may change (KES), `skip_auth` lets anybody call the route (KES `InsecureSkipAuth`), and unknown
 * paths are ignored, as in KES.
 */
export function applyOverrides(routes: readonly Route[], api: ServerConfig['api']): Route[] {
  return routes.map((r) => {
    const o = api[r.path]
    if (o === undefined) return r
    return {
      ...r,
      ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
      ...(o.skipAuth === true && r.auth !== 'none' ? { auth: 'skip' as const } : {}),
    }
  })
}
