/**
 * VersionedKeyStore: the keystore as the rest of the server sees it once keys can rotate
 * (docs/key-rotation.md, "Stored form"). It wraps any backend and keeps the side entries of
 * version-names.ts out of everybody's way:
 *
 * - `list` hides them, so `keyhold key ls` and `/v1/key/list` show key names only;
 * - `delete(NAME)` removes NAME first and its versions after, so a deletion cut short leaves the
 *   whole key or none of it; versions left without their key open nothing, and the next deletion
 *   or creation of NAME removes them, so a re-created NAME never finds them beside it;
 * - `get(NAME)` of an absent NAME answers the pending version while a rotation replaces NAME
 *   (on a keystore without a conditional replace, {@link VersionedKeyStore.replaceCurrent}
 *   deletes and creates), so that a reader falling in between does not see `key does not exist`.
 *
 * @module
 */
import { isValidName } from '../api/validate.js'
import { LocalKeyTurns, type KeyTurns } from './key-turns.js'
import { KeyExistsError, KeyNotFoundError, type KeyListPage, type KeyStore, type KeyStoreState } from './keystore.js'
import { isListedKey, parkedKeyOf, pendingEntry, versionEntry, versionPrefix, versionsIn } from './version-names.js'

const ignoreMissing = (err: unknown) => {
  if (!(err instanceof KeyNotFoundError)) throw err
}

const absentIsFalse = (err: unknown): false => {
  if (err instanceof KeyNotFoundError) return false
  throw err
}

/** How long a deletion's steps after the key's own may take: the caller's deadline (its client) no longer counts. */
const CLEANUP_MS = 30_000

/** KeyChangedError: a rotation found its key replaced by another value (another rotation, or a deletion and re-creation). */
export class KeyChangedError extends Error {
  constructor(name: string) {
    super(`key '${name}' changed during the rotation`)
    this.name = 'KeyChangedError'
  }
}

/** VersionedKeyStore wraps `inner`; it throws what `inner` throws. */
export class VersionedKeyStore implements KeyStore {
  readonly #inner: KeyStore
  readonly watch?: KeyStore['watch']
  /** Where rotations and deletions of one key take turns (see {@link exclusive}). */
  readonly #turns: KeyTurns

  /** Wraps `inner`; `turns` spans the processes that share it (default: this process only). */
  constructor(inner: KeyStore, turns: KeyTurns = new LocalKeyTurns()) {
    this.#inner = inner
    this.#turns = turns
    if (inner.watch) this.watch = (onChange, onReset) => inner.watch!(onChange, onReset)
  }

  /** Passes through. */
  status(signal: AbortSignal): Promise<KeyStoreState> {
    return this.#inner.status(signal)
  }


  /**
   * Returns `name`, or while a rotation replaces it, the version being made current. Throws
   * KeyNotFoundError when neither exists, or what the backend throws.
   */
  async get(name: string, signal: AbortSignal): Promise<Uint8Array> {
    try {
      return await this.#inner.get(name, signal)
    } catch (err) {
      if (!(err instanceof KeyNotFoundError) || !isValidName(name)) throw err
      try {
        return await this.#inner.get(pendingEntry(name), signal)
      } catch {
        // No rotation in flight, or it just finished: NAME is the answer either way.
        return await this.#inner.get(name, signal)
      }
    }
  }

  /**
   * exclusive runs `fn` in a turn of its own on `name` (key-turns.ts): once every earlier
   * exclusive call on `name`, in every process sharing the turns, has settled. A rotation
   * re-creates `name` (replaceCurrent): a deletion running inside it was undone, and the deleted
   * key came back. Throws what `fn` throws, or what the turns throw.
   */
  exclusive<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return this.#turns.run(name, fn)
  }

  /**
   * Deletes key `name`: its parked copy (if a rotation was cut short), the key, then its versions, never in
   * the middle of a rotation ({@link exclusive}). A deletion cut short (a crash, a keystore error) therefore
   * leaves the whole key or no key: never a key that lost some versions (their ciphertexts) and with
   * version 1 its birth, which binds its state (a disabled key came back enabled). Versions it leaves
   * without a key open nothing, and the next deletion or creation of the name removes them. The steps
   * after the key's own run on their own deadline: a client that leaves does not cut them. Throws
   * KeyNotFoundError when there was no key (its leftover versions are removed all the same), or what the
   * backend throws.
   */
  delete(name: string, signal: AbortSignal): Promise<void> {
    if (!isValidName(name)) return this.#inner.delete(name, signal)
    return this.exclusive(name, async () => {
      // The parked copy of a half-replaced key first, the key after: a deletion cut short between the two then
      // leaves the whole key at its name, never a parked copy alone, which a restart would take for a rotation
      // cut short and put back (finishInterruptedRotations).
      const parked = await this.#inner.delete(pendingEntry(name), signal).then(() => true, absentIsFalse)
      const deleted = await this.#inner.delete(name, signal).then(() => true, absentIsFalse)
      const cleanup = AbortSignal.timeout(CLEANUP_MS)
      if (!deleted && !parked) {
        await this.#removeVersions(name, cleanup)
        throw new KeyNotFoundError(name)
      }
      // The key is gone: versions this cannot remove now open nothing, and go with the name's next deletion or creation.
      await this.#removeVersions(name, cleanup).catch(() => undefined)
    })
  }

  /**
   * Creates `name`. A key name takes its turn ({@link exclusive}: a rotation's re-creation of the name would
   * otherwise lose to it, and the new key would find the old one's versions beside it), is refused while a
   * parked copy stands for it, and first removes versions no key owns (left by a deletion cut short, or by a
   * KES server, which deletes the name only). Side entries pass through. Throws KeyExistsError, or what the
   * backend throws.
   */
  create(name: string, value: Uint8Array, signal: AbortSignal): Promise<void> {
    if (!isValidName(name)) return this.#inner.create(name, value, signal)
    return this.exclusive(name, async () => {
      if (await this.#exists(pendingEntry(name), signal)) throw new KeyExistsError(name)
      if (!(await this.#exists(name, signal))) await this.#removeVersions(name, signal)
      await this.#inner.create(name, value, signal)
    })
  }

  /**
   * Removes the versions of `name` found now, unless `name` (or its parked copy) exists: then they may be
   * those of a key created anew meanwhile (by another server). A rotation elsewhere that stores a version
   * after this listing finds the key gone and removes it itself (rotate.ts). Throws what the backend throws.
   */
  async #removeVersions(name: string, signal: AbortSignal): Promise<void> {
    // What each entry holds now, read before the check: another server may create the name and rotate the new
    // key right after the check, storing its own version 1, 2, … under the same entry names (found by an
    // attack, with one server a few ms farther from etcd). An entry is removed only if it still holds this.
    const held = await this.heldVersions(name, signal)
    if (held.length === 0) return
    if ((await this.#exists(name, signal)) || (await this.#exists(pendingEntry(name), signal))) return
    await this.removeUnchanged(held, signal)
  }

  /**
   * heldVersions reads what each version entry of `name` holds now, newest first (entries removed meanwhile are
   * left out): the snapshot a removal compares against, so that it never removes what someone stored since.
   * Throws what the backend throws.
   */
  async heldVersions(name: string, signal: AbortSignal): Promise<Array<[entry: string, value: Uint8Array]>> {
    const held: Array<[entry: string, value: Uint8Array]> = []
    for (const version of await this.versions(name, signal)) {
      const entry = versionEntry(name, version)
      const value = await this.#inner.get(entry, signal).catch(absentIsFalse)
      if (value !== false) held.push([entry, value])
    }
    return held
  }

  /** removeUnchanged removes each entry of a {@link heldVersions} snapshot that still holds what it held. Throws what the backend throws. */
  async removeUnchanged(held: ReadonlyArray<readonly [entry: string, value: Uint8Array]>, signal: AbortSignal): Promise<void> {
    for (const [entry, value] of held) await this.removeIfUnchanged(entry, value, signal)
  }

  /**
   * removeLeftovers removes the versions of a key that is gone (a deletion or purge cut short), in the key's
   * turn, and never the key itself: a key created anew meanwhile stays whole. Throws what the backend throws.
   */
  removeLeftovers(name: string, signal: AbortSignal): Promise<void> {
    if (!isValidName(name)) return Promise.resolve()
    return this.exclusive(name, () => this.#removeVersions(name, signal))
  }

  async #exists(entry: string, signal: AbortSignal): Promise<boolean> {
    return this.#inner.get(entry, signal).then(() => true, absentIsFalse)
  }

  /** Lists like the backend, without rotation's side entries. Throws what the backend throws. */
  async list(prefix: string, limit: number, signal: AbortSignal): Promise<KeyListPage> {
    const page = await this.#inner.list(prefix, limit, signal)
    return { names: page.names.filter(isListedKey), next: page.next }
  }

  /**
   * versions returns the stored versions of `name`, newest first; empty for a key never rotated
   * (its only version, 1, is `name` itself). Throws what the backend's list throws.
   */
  async versions(name: string, signal: AbortSignal): Promise<number[]> {
    const page = await this.#inner.list(versionPrefix(name), 0, signal)
    return versionsIn(page.names, name)
  }

  /**
   * replaceCurrent makes `value` the key stored at `name` (KES reads it there) in place of
   * `expected`, the bytes {@link get} returned. A store that can replace conditionally (etcd) does
   * it in one step, which a deletion can never fall inside. Otherwise the value is parked at the
   * pending entry first, so that readers never find the key missing, and the name is deleted and
   * created; another rotation racing this one may then win the final create, which is safe,
   * because every version that was ever current also lives at its version entry. Throws
   * KeyNotFoundError when the key was deleted meanwhile and {@link KeyChangedError} when `name`
   * holds another value (both with conditional stores only), or what the backend throws.
   */
  async replaceCurrent(name: string, expected: Uint8Array, value: Uint8Array, signal: AbortSignal): Promise<void> {
    if (this.#inner.replace === undefined) return this.#parkAndReplace(name, expected, value, signal)
    let replaced: boolean
    try {
      replaced = await this.#inner.replace(name, expected, value, signal)
    } catch (err) {
      if (!(err instanceof KeyNotFoundError) || !(await this.#finishParked(name, expected, signal))) throw err
      replaced = await this.#inner.replace(name, expected, value, signal)
    }
    if (!replaced) throw new KeyChangedError(name)
  }

  /**
   * The delete-and-create replacement of stores without a conditional one (Vault). Some copy of the key stands
   * at every step, so a crash anywhere leaves the old key or the new one: a key found half-replaced (absent at
   * its name, its parked copy `expected`) is put back at its name first, and only then is the old parked copy
   * removed. Removing it first had deleted the only copy left, and a second crash there lost the key (found by
   * a fault-injection round). Throws KeyNotFoundError when the key is gone (no copy of `expected` stands), or
   * what the backend throws.
   */
  async #parkAndReplace(name: string, expected: Uint8Array, value: Uint8Array, signal: AbortSignal): Promise<void> {
    if (!(await this.#exists(name, signal)) && !(await this.#finishParked(name, expected, signal))) throw new KeyNotFoundError(name)
    const pending = pendingEntry(name)
    await this.#inner.delete(pending, signal).catch(ignoreMissing)
    await this.#inner.create(pending, value, signal).catch((err: unknown) => {
      if (!(err instanceof KeyExistsError)) throw err
    })
    await this.#inner.delete(name, signal).catch(ignoreMissing)
    await this.#inner.create(name, value, signal).catch((err: unknown) => {
      if (!(err instanceof KeyExistsError)) throw err
    })
    await this.#inner.delete(pending, signal).catch(ignoreMissing)
  }

  /**
   * A key absent at its name may be half-replaced by a rotation of the delete-and-create kind that
   * stopped after its delete (a crash, or a server before conditional replaces): its parked copy,
   * `expected`, is what {@link get} served. Puts it back at the name and reports true; false when
   * there is no such copy, or it went while the key was put back (the key was deleted). Throws what the
   * backend throws.
   */
  async #finishParked(name: string, expected: Uint8Array, signal: AbortSignal): Promise<boolean> {
    const pending = pendingEntry(name)
    const parked = await this.#inner.get(pending, signal).catch((err: unknown) => {
      if (err instanceof KeyNotFoundError) return undefined
      throw err
    })
    if (parked === undefined || !Buffer.from(parked).equals(Buffer.from(expected))) return false
    const created = await this.#inner.create(name, parked, signal).then(() => true, (err: unknown) => {
      if (!(err instanceof KeyExistsError)) throw err
      return false
    })
    // Another server on the same store may have deleted the key between the read and the create (its deletion
    // removes the parked copy first): then the key put back is one the operator deleted, and goes again.
    if (created && !(await this.#exists(pending, signal))) {
      await this.#inner.delete(name, signal).catch(ignoreMissing)
      return false
    }
    await this.#inner.delete(pending, signal).catch(ignoreMissing)
    return true
  }

  /**
   * finishInterruptedRotations puts back at its name every key that a delete-and-create rotation left
   * half-replaced (absent at its name, its parked copy standing), as a server start does once: such a key still
   * decrypts (get reads the parked copy) but is missing from listings. Each in the key's turn, and only if the
   * name is still absent then. Returns the names put back. Throws what the backend throws.
   */
  async finishInterruptedRotations(signal: AbortSignal): Promise<string[]> {
    const entries = (await this.#inner.list('', 0, signal)).names
    const present = new Set(entries)
    const restored: string[] = []
    for (const entry of entries) {
      const name = parkedKeyOf(entry)
      if (name === undefined || present.has(name)) continue
      await this.exclusive(name, async () => {
        if (await this.#exists(name, signal)) return
        const parked = await this.#inner.get(entry, signal).catch(absentIsFalse)
        if (parked !== false && (await this.#finishParked(name, parked, signal))) restored.push(name)
      })
    }
    return restored
  }

  /**
   * removeIfUnchanged deletes entry `entry` if it still holds `value`: the undo of a rotation that
   * found its key deleted, which must not remove what someone else stored there since. Throws
   * what the backend throws.
   */
  async removeIfUnchanged(entry: string, value: Uint8Array, signal: AbortSignal): Promise<void> {
    const stored = await this.#inner.get(entry, signal).catch((err: unknown) => {
      if (err instanceof KeyNotFoundError) return undefined
      throw err
    })
    if (stored !== undefined && Buffer.from(stored).equals(Buffer.from(value))) await this.#inner.delete(entry, signal).catch(ignoreMissing)
  }

  /** Passes through. */
  close(): Promise<void> {
    return this.#inner.close()
  }

  /** The backend's label. */
  toString(): string {
    return this.#inner.toString()
  }
}
