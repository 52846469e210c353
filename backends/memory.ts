/**
 * An in-memory keystore: `--dev` mode and tests. Keys are lost when the process exits.
 *
 * @module
 */
import {
  type KeyListPage, type KeyStore, type KeyStoreState, KeyExistsError, KeyNotFoundError, listPage,
} from '../src/kms/keystore/keystore.js'

function checkSignal(signal: AbortSignal): void {
  if (signal.aborted) throw new Error('keystore: operation aborted', { cause: signal.reason })
}

/**
 * MemoryKeyStore keeps keys in a Map. Values are copied in and out, so callers can neither
 * change stored keys nor see each other's buffers. Throws only KeyExistsError, KeyNotFoundError
 * and, for an already aborted signal, a plain Error.
 */
export class MemoryKeyStore implements KeyStore {
  private readonly keys = new Map<string, Uint8Array>()

  /** Always reachable. Throws only when `signal` is aborted. */
  async status(signal: AbortSignal): Promise<KeyStoreState> {
    checkSignal(signal)
    return { latencyMs: 0 }
  }

  /** Stores a copy of `value`. Throws KeyExistsError when `name` exists. */
  async create(name: string, value: Uint8Array, signal: AbortSignal): Promise<void> {
    checkSignal(signal)
    if (this.keys.has(name)) throw new KeyExistsError(name)
    this.keys.set(name, Uint8Array.from(value))
  }

  /** Returns a copy of the value. Throws KeyNotFoundError when absent. */
  async get(name: string, signal: AbortSignal): Promise<Uint8Array> {
    checkSignal(signal)
    const value = this.keys.get(name)
    if (value === undefined) throw new KeyNotFoundError(name)
    return Uint8Array.from(value)
  }

  /** Removes `name` and wipes its bytes. Throws KeyNotFoundError when absent. */
  async delete(name: string, signal: AbortSignal): Promise<void> {
    checkSignal(signal)
    const value = this.keys.get(name)
    if (value === undefined) throw new KeyNotFoundError(name)
    this.keys.delete(name)
    value.fill(0)
  }

  /** Stores a copy of `value` iff `name` holds `expected`; false when it holds another value. Throws KeyNotFoundError when absent. */
  async replace(name: string, expected: Uint8Array, value: Uint8Array, signal: AbortSignal): Promise<boolean> {
    checkSignal(signal)
    const old = this.keys.get(name)
    if (old === undefined) throw new KeyNotFoundError(name)
    if (!Buffer.from(old).equals(Buffer.from(expected))) return false
    this.keys.set(name, Uint8Array.from(value))
    old.fill(0)
    return true
  }

  /** One page of names with `prefix` (see {@link listPage}). Throws only on an aborted signal. */
  async list(prefix: string, limit: number, signal: AbortSignal): Promise<KeyListPage> {
    checkSignal(signal)
    return listPage(this.keys.keys(), prefix, limit)
  }

  /** Nothing to release. */
  async close(): Promise<void> {}

  /** `In-Memory`. */
  toString(): string {
    return 'In-Memory'
  }
}
