/**
 * Key states over the API (Keyhold extension, docs/operations.md "Key states and safe deletion"):
 * the guard every key use passes, the disable / enable / restore / state handlers, and DELETE's
 * scheduling when `key_deletion.wait` is on.
 *
 * To a KES client a key scheduled for deletion is deleted: every use, describe and listing
 * answer as for a missing key (404 `key does not exist`), while its name stays taken (create
 * answers `key already exists`) until it is purged or restored. A disabled key answers 409
 * `key is disabled` to what it refuses (docs/kes-compatibility.md, "Keyhold extensions").
 *
 * @module
 */
import { z } from 'zod'
import type { KeyVersion } from '../crypto/key.js'
import {
  errInvalidBody, errKeyDisabled, errKeyNotFound, errListKeys, errKeyNotScheduled, errKeyStateConflict, errReadKey, errUpdateKeyState,
  isApiError, type ApiError,
} from '../api/errors.js'
import { KeyNotFoundError } from '../keystore/keystore.js'
import type { ApiHandler, ApiRequest } from '../api/route.js'
import type { KesResponse } from '../api/http-types.js'
import { replyEmpty, replyJson } from '../api/reply.js'
import { isValidName } from '../api/validate.js'
import { keyBinding, type KeyState } from '../keystore/key-state.js'
import { keyBirth } from '../keystore/key-birth.js'
import { KeyStateConflictError, type KeyStateRead } from '../keystore/key-states.js'
import type { RequestAuditInfo } from '../observability/observe.js'
import type { ServerContext } from '../state.js'
import { parseBody, rfc3339Nano } from './body.js'
import { keyError } from './key-errors.js'
import { keyName } from './key-name.js'

/** What a request does with a key: `seal` (generate, encrypt, hmac), `open` (decrypt) or `describe`. */
export type KeyUse = 'seal' | 'open' | 'describe'

/** Response header of a scheduling DELETE: when the key will be purged (RFC 3339). Not KES wire. */
const KEY_DELETE_AT_HEADER = 'Keyhold-Key-Delete-At'

const DisableBody = z.strictObject({ decrypt: z.boolean().optional() })

const note = (res: KesResponse, message: string) => {
  ;(res.locals as RequestAuditInfo).auditMessage = message
}

/**
 * boundState returns `state` when it belongs to key `name`, current version `key` (not to an earlier
 * key of that name): when it is bound to the key's birth, which every rotation keeps. Throws what
 * {@link keyBirth} throws.
 */
async function boundState(ctx: ServerContext, name: string, state: KeyState | undefined, key: KeyVersion, deadline?: () => AbortSignal): Promise<KeyState | undefined> {
  if (state === undefined) return undefined
  // A key never rotated was born when its current version was made: no version to read.
  if (state.keyCreatedAt === keyBinding(key.createdAt)) return state
  return state.keyCreatedAt === keyBinding(await keyBirth(ctx.keys, name, key, deadline)) ? state : undefined
}

/**
 * checkKeyUse passes when key `name`'s state allows `use`. Throws 404 `key does not exist` for a
 * key scheduled for deletion, 409 `key is disabled` for a refused use of a disabled key, or the
 * keystore's error as 5xx.
 */
export async function checkKeyUse(ctx: ServerContext, name: string, key: KeyVersion, use: KeyUse, deadline?: () => AbortSignal): Promise<void> {
  let stored: KeyState | undefined
  try {
    stored = await ctx.states.get(name, deadline)
  } catch (err) {
    throw keyError(err, errReadKey)
  }
  let state: KeyState | undefined
  try {
    state = await boundState(ctx, name, stored, key, deadline)
  } catch (err) {
    throw keyError(err, errReadKey)
  }
  if (state === undefined) return
  if (state.status === 'scheduled') throw errKeyNotFound()
  if (use === 'describe' || (use === 'open' && state.decrypt)) return
  throw errKeyDisabled()
}

/**
 * visibleKeys returns the names of a key listing a KES client may see: no state side entries
 * (names no KES key can have) and no key scheduled for deletion. Throws the keystore's error as 502.
 */
export async function visibleKeys(ctx: ServerContext, names: readonly string[], signal: AbortSignal): Promise<string[]> {
  const valid = names.filter(isValidName)
  try {
    const withState = new Set((await ctx.states.entries(signal)).map((e) => e.name))
    const out: string[] = []
    for (const name of valid) {
      const stored = withState.has(name) ? await ctx.states.get(name, () => signal) : undefined
      if (stored?.status === 'scheduled') {
        const key = await ctx.keys.get(name, () => signal).catch((err: unknown) => {
          if (err instanceof KeyNotFoundError) return undefined // deleted meanwhile: not listed
          throw err
        })
        if (key === undefined || (await boundState(ctx, name, stored, key, () => signal)) !== undefined) continue
      }
      out.push(name)
    }
    return out
  } catch (err) {
    throw isApiError(err) ? err : errListKeys(err)
  }
}

/**
 * stateBeneath finds the state a scheduled deletion kept beneath it (the key was disabled): the
 * other slot's, if it is a disabled state of this very key. Throws nothing.
 */
function stateBeneath(read: KeyStateRead, binding: string): { slot: 0 | 1 } | undefined {
  return read.slots.find((s) => s.state !== undefined && s.state !== read.state && s.state.status === 'disabled' && s.state.keyCreatedAt === binding)
}

/** Maps a state-change failure to its reply. Never throws. */
function stateError(err: unknown): ApiError {
  if (err instanceof KeyStateConflictError) return errKeyStateConflict(err)
  return keyError(err, errUpdateKeyState)
}

/** keyAndState reads key `name` and its state fresh from the store (a change must not act on a cached copy). */
async function keyAndState(ctx: ServerContext, req: ApiRequest) {
  const name = keyName(req)
  let key: KeyVersion
  let read
  let state: KeyState | undefined
  let birth: Date | undefined
  try {
    const deadline = () => req.storeSignal
    key = await ctx.keys.get(name, deadline)
    read = await ctx.states.read(name, req.storeSignal)
    state = await boundState(ctx, name, read.state, key, deadline)
    birth = await keyBirth(ctx.keys, name, key, deadline)
  } catch (err) {
    throw keyError(err, errReadKey)
  }
  return { name, key, read, state, binding: keyBinding(birth) }
}

/**
 * scheduleDeletion handles DELETE when `key_deletion.wait` is on: it records the key as scheduled
 * and replies. Returns false (nothing done) when the wait is off. Throws 404 for a missing or
 * already scheduled key, or the keystore's error.
 */
export async function scheduleDeletion(ctx: ServerContext, req: ApiRequest, res: KesResponse): Promise<boolean> {
  const waitMs = ctx.state.get().config.keyDeletion?.waitMs ?? 0
  if (waitMs <= 0) return false
  const { name, read, state, binding } = await keyAndState(ctx, req)
  if (state?.status === 'scheduled') throw errKeyNotFound()
  const now = new Date()
  const deleteAt = new Date(now.getTime() + waitMs)
  const next = { status: 'scheduled' as const, decrypt: false, keyCreatedAt: binding, changedAt: now, changedBy: req.identity, deleteAt }
  try {
    // A disabled key's state stays beneath the schedule: a restore brings it back disabled, so that
    // restore never grants what only enable may (docs/operations.md, "Key states and safe deletion").
    await ctx.states.set(name, read, next, req.storeSignal, { keepBeneath: state?.status === 'disabled' })
  } catch (err) {
    throw stateError(err)
  }
  note(res, `secret key '${name}' scheduled for deletion at ${rfc3339Nano(deleteAt)}`)
  res.setHeader(KEY_DELETE_AT_HEADER, rfc3339Nano(deleteAt))
  replyEmpty(res)
  return true
}

/** keyStateHandlers returns the state handlers bound to `ctx`. */
export function keyStateHandlers(ctx: ServerContext): Record<'state' | 'disable' | 'enable' | 'restore', ApiHandler> {
  return {
    async state(req, res) {
      const { name, state } = await keyAndState(ctx, req)
      replyJson(res, {
        name,
        state: state?.status ?? 'enabled',
        decrypt: state === undefined || state.decrypt,
        ...(state !== undefined ? { changed_at: rfc3339Nano(state.changedAt), changed_by: state.changedBy } : {}),
        ...(state?.deleteAt !== undefined ? { delete_at: rfc3339Nano(state.deleteAt) } : {}),
      })
    },

    async disable(req, res) {
      // Parsed before any lookup: a bad body is a 400 whatever the key.
      const body = await parseBody(req, DisableBody, errInvalidBody, {})
      const { name, read, state, binding } = await keyAndState(ctx, req)
      if (state?.status === 'scheduled') throw errKeyNotFound()
      const decrypt = body.decrypt ?? true
      const next = { status: 'disabled' as const, decrypt, keyCreatedAt: binding, changedAt: new Date(), changedBy: req.identity }
      try {
        await ctx.states.set(name, read, next, req.storeSignal)
      } catch (err) {
        throw stateError(err)
      }
      note(res, `secret key '${name}' disabled (decrypt ${decrypt ? 'allowed' : 'refused'})`)
      replyEmpty(res)
    },

    async enable(req, res) {
      const { name, read, state } = await keyAndState(ctx, req)
      if (state?.status === 'scheduled') throw errKeyNotFound()
      if (read.slots.length > 0) {
        try {
          await ctx.states.clear(name, req.storeSignal, read.slots.map((s) => s.slot))
        } catch (err) {
          throw stateError(err)
        }
      }
      note(res, `secret key '${name}' enabled`)
      replyEmpty(res)
    },

    async restore(req, res) {
      const { name, read, state, binding } = await keyAndState(ctx, req)
      if (state?.status !== 'scheduled') throw errKeyNotScheduled()
      // Past its time the key is gone, whether or not the purge has run yet.
      if (state.deleteAt !== undefined && state.deleteAt.getTime() <= Date.now()) throw errKeyNotFound()
      const beneath = stateBeneath(read, binding)
      try {
        await ctx.states.clear(name, req.storeSignal, read.slots.map((s) => s.slot).filter((slot) => slot !== beneath?.slot))
      } catch (err) {
        throw stateError(err)
      }
      note(res, `secret key '${name}' restored: its deletion is cancelled${beneath !== undefined ? '; it is disabled, as before' : ''}`)
      replyEmpty(res)
    },
  }
}
