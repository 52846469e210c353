/**
 * The purge of keys whose scheduled deletion is due, run at start-up and then periodically by
 * every server (and worker) on a keystore. It is idempotent: whoever runs it first deletes the
 * key (announced to the peers like any delete), the others find it gone. A state whose key is
 * gone or is another key of the same name (a purge cut short by a crash, a delete whose state
 * removal failed) is removed: it never applies to anything.
 *
 * A restart loses nothing: the schedule is in the keystore, and a purge that was due while no
 * server ran happens at the next start.
 *
 * @module
 */
import { decodeKeyVersion, type KeyVersion } from '../crypto/key.js'
import type { KeyCache } from './cache.js'
import { KeyNotFoundError, type KeyStore } from './keystore.js'
import { keyBinding, type KeyState } from './key-state.js'
import type { KeyStates } from './key-states.js'

/** What {@link purgeDueKeys} works on. */
export interface PurgeDeps {
  store: KeyStore
  keys: KeyCache
  states: KeyStates
  /** Called once per key this run purged (the audit log). */
  onPurged?: (name: string, state: KeyState) => void
  /** Called for a key whose purge failed (the error log); the next run tries again. */
  onError?: (name: string, err: unknown) => void
}

/**
 * purgeDueKeys deletes every key whose scheduled deletion time is at or before `now`, and removes
 * orphaned states. Returns the names purged by this call. Throws only when the states cannot be
 * listed; a failure on one key is reported through `onError` and the others still run.
 */
export async function purgeDueKeys(deps: PurgeDeps, signal: AbortSignal, now = Date.now()): Promise<string[]> {
  const names = [...new Set((await deps.states.entries(signal)).map((e) => e.name))].sort()
  const purged: string[] = []
  for (const name of names) {
    try {
      if (await purgeOne(deps, name, signal, now)) purged.push(name)
    } catch (err) {
      deps.onError?.(name, err)
    }
  }
  return purged
}

async function purgeOne(deps: PurgeDeps, name: string, signal: AbortSignal, now: number): Promise<boolean> {
  const read = await deps.states.read(name, signal)
  const slots = read.slots.map((s) => s.slot)
  const state = read.state
  if (state === undefined) return false // only entries we cannot read: not ours to remove
  // Fresh from the store: a cached copy may be an older key of this name.
  let key: KeyVersion | undefined
  try {
    key = decodeKeyVersion(await deps.store.get(name, signal))
  } catch (err) {
    if (!(err instanceof KeyNotFoundError)) throw err
  }
  if (key === undefined || state.keyCreatedAt !== keyBinding(key.createdAt)) {
    await deps.states.clear(name, signal, slots)
    return false
  }
  if (state.status !== 'scheduled' || state.deleteAt === undefined || state.deleteAt.getTime() > now) return false
  try {
    await deps.keys.delete(name, signal)
  } catch (err) {
    if (!(err instanceof KeyNotFoundError)) throw err
    return false // another server or worker purged it first
  }
  await deps.states.clear(name, signal, slots)
  deps.onPurged?.(name, state)
  return true
}

/** Options of {@link startKeyPurge}. */
export interface KeyPurgeTimerOptions {
  /** Between runs (default 60 s). */
  intervalMs?: number
  /** Called when a run fails as a whole (states not listable). */
  onRunError?: (err: unknown) => void
}

/**
 * startKeyPurge runs {@link purgeDueKeys} now and every `intervalMs`, never two runs at once.
 * Returns the function that stops it and resolves when a run in progress ended. Throws nothing.
 */
export function startKeyPurge(deps: PurgeDeps, options: KeyPurgeTimerOptions = {}): () => Promise<void> {
  const intervalMs = options.intervalMs ?? 60_000
  let running: Promise<void> | undefined
  let stopped = false
  const run = () => {
    if (running !== undefined || stopped) return
    running = purgeDueKeys(deps, AbortSignal.timeout(Math.max(intervalMs, 30_000)))
      .then(() => undefined, (err: unknown) => options.onRunError?.(err))
      .finally(() => {
        running = undefined
      })
  }
  run()
  const timer = setInterval(run, intervalMs).unref()
  return async () => {
    stopped = true
    clearInterval(timer)
    await running
  }
}
