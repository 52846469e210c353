/**
 * Key states (a Keyhold extension; KES keys are always usable): `enabled`, `disabled` (generate,
 * encrypt and HMAC refused; decrypt allowed or not, per key), and `scheduled` for deletion at a
 * time (every use refused; `restore` undoes it until then; a purge removes the key after).
 *
 * A state lives in the shared keystore next to its key, so every server on that keystore agrees,
 * as a *side entry* whose name no KES key name can take: KES names are at most 80 characters
 * (src/kms/api/validate.ts), a side entry's name starts with an 81-character prefix made only of
 * characters every backend accepts. Listing hides such names, and an enabled key has no entry, so
 * a keystore of keys that were never disabled or scheduled is byte for byte a KES keystore.
 *
 * Keystores cannot update an entry, so there are two slots per key: a change creates the new state
 * in the free slot, then deletes the other; a reader that finds both takes the higher `seq`. Every
 * state is bound to its key by the key's creation time, so the state of a deleted key never
 * applies to a new key of the same name.
 *
 * @module
 */
import { z } from 'zod'

/** The states a key can be in. `enabled` is the absence of a state entry. */
export type KeyStatus = 'enabled' | 'disabled' | 'scheduled'

/** A stored (non-enabled) state of one key. */
export interface KeyState {
  status: Exclude<KeyStatus, 'enabled'>
  /** Whether decrypt (and bulk decrypt) still work: a disabled key's setting; always false when scheduled. */
  decrypt: boolean
  /** The birth of the key this state belongs to (its first version's creation time, key-birth.ts) (RFC 3339, or '' for a legacy key without one). */
  keyCreatedAt: string
  /** When the change was made and by which identity. */
  changedAt: Date
  changedBy: string
  /** When a scheduled key is purged. */
  deleteAt?: Date
  /** Orders the two slots: the higher wins. */
  seq: number
}

/** What every side entry's name starts with (both slots). */
export const STATE_ENTRY_PREFIX = '_keyhold-key-state-'
const pad = (slot: string) => (STATE_ENTRY_PREFIX + slot).padEnd(81, '_')
/** The two slots' name prefixes: 81 characters, longer than any KES key name. */
export const STATE_SLOTS = [pad('a'), pad('b')] as const

/**
 * The prefix of a purge claim: the one server (or worker) that creates `PURGE_CLAIM + name` (an
 * exclusive create) purges the key; the others leave it. Not a slot: {@link keyOfStateEntry} skips it.
 */
export const PURGE_CLAIM = pad('purge')

/** stateEntryName returns the name of slot `slot` (0 or 1) of key `name`. Throws nothing. */
export function stateEntryName(name: string, slot: 0 | 1): string {
  return STATE_SLOTS[slot] + name
}

/** keyOfStateEntry returns the key name of a side entry, or undefined for any other name. Throws nothing. */
export function keyOfStateEntry(entry: string): { name: string; slot: 0 | 1 } | undefined {
  for (const slot of [0, 1] as const) {
    const prefix = STATE_SLOTS[slot]
    if (entry.startsWith(prefix) && entry.length > prefix.length) return { name: entry.slice(prefix.length), slot }
  }
  return undefined
}

/** The largest state entry we read: a state is ~250 bytes; anything bigger is not ours. */
const MAX_ENTRY_BYTES = 4096

const Stored = z.strictObject({
  v: z.literal(1),
  status: z.enum(['disabled', 'scheduled']),
  decrypt: z.boolean(),
  key_created_at: z.string().max(64),
  changed_at: z.iso.datetime({ offset: true }),
  changed_by: z.string().max(256),
  delete_at: z.iso.datetime({ offset: true }).optional(),
  seq: z.number().int().nonnegative(),
})

/** encodeKeyState returns the stored bytes of a state (JSON). Throws nothing. */
export function encodeKeyState(s: KeyState): Uint8Array {
  const stored: z.input<typeof Stored> = {
    v: 1,
    status: s.status,
    decrypt: s.status === 'disabled' && s.decrypt,
    key_created_at: s.keyCreatedAt,
    changed_at: s.changedAt.toISOString(),
    changed_by: s.changedBy,
    ...(s.deleteAt ? { delete_at: s.deleteAt.toISOString() } : {}),
    seq: s.seq,
  }
  return new TextEncoder().encode(JSON.stringify(stored))
}

/**
 * decodeKeyState parses stored state bytes. Returns undefined for anything that is not a valid
 * state (an entry we did not write is treated as no state, never as a reason to refuse service).
 */
export function decodeKeyState(bytes: Uint8Array): KeyState | undefined {
  if (bytes.length > MAX_ENTRY_BYTES) return undefined
  let json: unknown
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'))
  } catch {
    return undefined
  }
  const p = Stored.safeParse(json)
  if (!p.success) return undefined
  const d = p.data
  if (d.status === 'scheduled' && d.delete_at === undefined) return undefined
  return {
    status: d.status,
    decrypt: d.status === 'disabled' && d.decrypt,
    keyCreatedAt: d.key_created_at,
    changedAt: new Date(d.changed_at),
    changedBy: d.changed_by,
    ...(d.delete_at !== undefined ? { deleteAt: new Date(d.delete_at) } : {}),
    seq: d.seq,
  }
}

/** keyBinding is the value a state records to name its key: the key's creation time. Throws nothing. */
export function keyBinding(createdAt: Date | undefined): string {
  return createdAt === undefined || Number.isNaN(createdAt.getTime()) ? '' : createdAt.toISOString()
}
