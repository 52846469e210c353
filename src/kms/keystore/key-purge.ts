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
 * Done once: before deleting, a purger creates a claim entry for the key, exclusively; whoever
 * fails to create it leaves the key to the claimant. A claim older than {@link CLAIM_STALE_MS}
 * belongs to a purger that died half-way: it is removed and the next run purges. (Exclusive create
 * is atomic on fs, memory, etcd and Vault KV v2; on Vault KV v1 two servers may both purge, which
 * deletes the same key twice and audits it twice, nothing worse.)
 *
 * @module
 */
import { VersionedKeyStore } from './versioned-store.js'
import { randomUUID } from 'node:crypto'
import { decodeKeyVersion, type KeyVersion } from '../crypto/key.js'
import type { KeyCache } from './cache.js'
import { keyBirth } from './key-birth.js'
import { KeyExistsError, KeyNotFoundError, type KeyStore } from './keystore.js'
import { keyBinding, PURGE_CLAIM, STATE_ENTRY_PREFIX, type KeyState } from './key-state.js'
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
  await dropStaleClaims(deps, signal, now)
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
  if ((await dueState(deps, name, signal, now)) === undefined) return false
  const claim = PURGE_CLAIM + name
  try {
    // The nonce makes the claim this purger's own: Vault's create takes finding exactly its value
    // after a lost answer for its own write (keystore.ts), and two runs can start in the same millisecond.
    await deps.store.create(claim, new TextEncoder().encode(JSON.stringify({ at: new Date(now).toISOString(), by: randomUUID() })), signal)
  } catch (err) {
    if (err instanceof KeyExistsError) return false // another server or worker is purging it
    throw err
  }
  try {
    // Again under the claim: a purger that finished just before we claimed has removed the state.
    const due = await dueState(deps, name, signal, now)
    if (due === undefined) return false
    try {
      await deps.keys.delete(name, signal)
    } catch (err) {
      if (!(err instanceof KeyNotFoundError)) throw err
    }
    await deps.states.clear(name, signal, due.slots)
    deps.onPurged?.(name, due.state)
    return true
  } finally {
    await deps.store.delete(claim, signal).catch(() => undefined) // a leftover claim goes stale and is dropped
  }
}

/**
 * dueState returns the state of `name` when its deletion is due and it belongs to the stored key;
 * a state of a key that is gone or another key of the name is removed. Throws the store's errors.
 */
async function dueState(deps: PurgeDeps, name: string, signal: AbortSignal, now: number): Promise<{ state: KeyState; slots: Array<0 | 1> } | undefined> {
  const read = await deps.states.read(name, signal)
  const slots = read.slots.map((s) => s.slot)
  const state = read.state
  if (state === undefined) return undefined // only entries we cannot read: not ours to remove
  // Fresh from the store: a cached copy may be an older key of this name.
  let key: KeyVersion | undefined
  try {
    key = decodeKeyVersion(await deps.store.get(name, signal))
  } catch (err) {
    if (!(err instanceof KeyNotFoundError)) throw err
  }
  // Bound to the key's birth, which rotations keep (key-birth.ts); a state of an earlier key of this name is dropped.
  const bound = key !== undefined && (state.keyCreatedAt === keyBinding(key.createdAt) || state.keyCreatedAt === keyBinding(await keyBirth(deps.keys, name, key)))
  if (!bound) {
    // A purge cut short after removing the key left its state, and perhaps versions: remove both, but never
    // the name (a key created since this read must stay; found by an attack).
    if (key === undefined && deps.store instanceof VersionedKeyStore) await deps.store.removeLeftovers(name, signal)
    await deps.states.clear(name, signal, slots)
    return undefined
  }
  if (state.status !== 'scheduled' || state.deleteAt === undefined || state.deleteAt.getTime() > now) return undefined
  return { state, slots }
}

/** How long a purge claim protects a purge in progress: a purge takes milliseconds. */
export const CLAIM_STALE_MS = 10 * 60_000

/** dropStaleClaims removes the claims of purgers that died half-way. Throws the store's errors. */
async function dropStaleClaims(deps: PurgeDeps, signal: AbortSignal, now: number): Promise<void> {
  const { names } = await deps.store.list(STATE_ENTRY_PREFIX, 0, signal)
  for (const entry of names.filter((n) => n.startsWith(PURGE_CLAIM))) {
    let at = Number.NaN
    try {
      at = Date.parse((JSON.parse(Buffer.from(await deps.store.get(entry, signal)).toString('utf8')) as { at?: string }).at ?? '')
    } catch (err) {
      if (err instanceof KeyNotFoundError) continue
      if (!(err instanceof SyntaxError)) throw err
    }
    // An unreadable claim is judged stale too: nothing we write looks like that.
    if (Number.isNaN(at) || now - at > CLAIM_STALE_MS) await deps.store.delete(entry, signal).catch(() => undefined)
  }
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
