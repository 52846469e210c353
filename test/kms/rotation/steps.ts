import { MemoryKeyStore } from '../../../backends/memory.js'
import type { KeyListPage, KeyStore, KeyStoreState } from '../../../src/kms/keystore/keystore.js'

/**
 * A keystore without a conditional replace (as Vault) over an in-memory one: reads pass through, and a
 * subclass decides what its `create` and `delete` do before they reach `inner`.
 */
export abstract class WritesInterceptedStore implements KeyStore {
  readonly inner = new MemoryKeyStore()

  abstract create(name: string, value: Uint8Array, s: AbortSignal): Promise<void>
  abstract delete(name: string, s: AbortSignal): Promise<void>
  status(s: AbortSignal): Promise<KeyStoreState> {
    return this.inner.status(s)
  }
  get(name: string, s: AbortSignal): Promise<Uint8Array> {
    return this.inner.get(name, s)
  }
  list(prefix: string, limit: number, s: AbortSignal): Promise<KeyListPage> {
    return this.inner.list(prefix, limit, s)
  }
  close(): Promise<void> {
    return this.inner.close()
  }
  toString(): string {
    return 'memory, writes intercepted'
  }
}

/**
 * Forced interleavings for keystore tests: `before.set('create k', fn)` runs `fn` (once) before the next
 * `create` of `k`, so a test can slip another request (or a failure) into exactly that step.
 */
export class Steps {
  readonly before = new Map<string, () => Promise<void>>()
  /** Hooks run (once) after the step, before its caller sees the result. */
  readonly after = new Map<string, () => Promise<void>>()

  /** run awaits the hook for `op` on `name`, if one is set, and removes it. Throws what the hook throws. */
  async run(op: string, name: string): Promise<void> {
    const hook = this.before.get(`${op} ${name}`)
    if (hook === undefined) return
    this.before.delete(`${op} ${name}`)
    await hook()
  }

  /** done awaits the after-hook for `op` on `name`, if one is set, and removes it. Throws what the hook throws. */
  async done(op: string, name: string): Promise<void> {
    const hook = this.after.get(`${op} ${name}`)
    if (hook === undefined) return
    this.after.delete(`${op} ${name}`)
    await hook()
  }
}
