/**
 * VersionedKeyStore: the keystore as the rest of the server sees it once keys can rotate
 * (docs/key-rotation.md, "Stored form"). It wraps any backend and keeps the side entries of
 * version-names.ts out of everybody's way:
 *
 * - `list` hides them, so `keyhold key ls` and `/v1/key/list` show key names only;
 * - `delete(NAME)` removes the versions of NAME first and NAME last, so a crash half-way leaves
 *   a usable key with fewer versions, never stray versions that a re-created NAME would inherit;
 * - `get(NAME)` of an absent NAME answers the pending version while a rotation replaces NAME
 *   (keystores have no atomic update: {@link VersionedKeyStore.replaceCurrent} deletes and
 *   creates), so that a reader falling in between does not see `key does not exist`.
 *
 * @module
 */
import { isValidName } from '../api/validate.js'
import { LocalKeyTurns, type KeyTurns } from './key-turns.js'
import { KeyExistsError, KeyNotFoundError, type KeyListPage, type KeyStore, type KeyStoreState } from './keystore.js'
import { isListedKey, pendingEntry, versionEntry, versionPrefix, versionsIn } from './version-names.js'

const ignoreMissing = (err: unknown) => {
  if (!(err instanceof KeyNotFoundError)) throw err
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

  /** Passes through: version entries are created through the same method, exclusively. */
  create(name: string, value: Uint8Array, signal: AbortSignal): Promise<void> {
    return this.#inner.create(name, value, signal)
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
   * Deletes every version of `name`, then `name`, never in the middle of a rotation
   * ({@link exclusive}). Throws KeyNotFoundError when `name` is absent (its versions are
   * removed all the same), or what the backend throws.
   */
  delete(name: string, signal: AbortSignal): Promise<void> {
    return this.exclusive(name, async () => {
      if (isValidName(name)) {
        for (const version of await this.versions(name, signal)) {
          await this.#inner.delete(versionEntry(name, version), signal).catch(ignoreMissing)
        }
        await this.#inner.delete(pendingEntry(name), signal).catch(ignoreMissing)
      }
      await this.#inner.delete(name, signal)
    })
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
   * replaceCurrent makes `value` the key stored at `name` (KES reads it there). The value is
   * parked at the pending entry first, so that readers never find the key missing. Another
   * rotation racing this one may win the final create: its value is then kept, which is safe,
   * because every version that was ever current also lives at its version entry. Throws what
   * the backend throws.
   */
  async replaceCurrent(name: string, value: Uint8Array, signal: AbortSignal): Promise<void> {
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

  /** Passes through. */
  close(): Promise<void> {
    return this.#inner.close()
  }

  /** The backend's label. */
  toString(): string {
    return this.#inner.toString()
  }
}
