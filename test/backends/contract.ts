/**
 * The KeyStore contract every backend must pass. Backend-neutral: no file
 * system or memory specifics, so Vault and future backends run the same suite:
 *
 * ```ts
 * keystoreContract('vault kv2', async () => ({ store, cleanup: async () => { ... } }))
 * ```
 *
 * The factory must return an empty store. Names used here are valid KES key names.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  type KeyStore, KeyExistsError, KeyNotFoundError,
} from '../../src/kms/keystore/keystore.js'

/** A fresh, empty store and how to dispose of it. */
export interface KeystoreFixture {
  store: KeyStore
  cleanup(): Promise<void>
}

const signal = (): AbortSignal => AbortSignal.timeout(15_000)
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)

/** Every byte value, twice, so that encodings which lose 0x00, 0x80+ or CR/LF are caught. */
const ALL_BYTES = Uint8Array.from({ length: 512 }, (_, i) => i % 256)

/** What a backend offers beyond the required methods. */
export interface KeystoreCapabilities {
  /** It implements {@link KeyStore.replace} (etcd, memory). */
  replace?: boolean
}

/** Registers the contract suite for one backend, with the optional parts it declares. */
export function keystoreContract(name: string, factory: () => Promise<KeystoreFixture>, capabilities: KeystoreCapabilities = {}): void {
  describe(`KeyStore contract: ${name}`, () => {
    let store: KeyStore
    let cleanup: () => Promise<void>

    beforeEach(async () => {
      ({ store, cleanup } = await factory())
    })
    afterEach(async () => {
      await store.close()
      await store.close() // idempotent
      await cleanup()
    })

    it('returns exactly the bytes it stored, for any binary value', async () => {
      const values: [string, Uint8Array][] = [
        ['text', bytes('CiQKIMiHG7XrN94FuwblJJor4f7f6rbqAl7DwsLaiIoyz0D2EAE=')],
        ['binary', ALL_BYTES],
        ['one-byte', Uint8Array.of(0)],
        ['big', Uint8Array.from({ length: 64 * 1024 }, (_, i) => (i * 7919) % 251)],
      ]
      for (const [key, value] of values) await store.create(key, value, signal())
      for (const [key, value] of values) {
        // Buffer.equals: a deep toEqual over 64 KiB is needlessly slow.
        expect(Buffer.from(await store.get(key, signal())).equals(value), key).toBe(true)
      }
    })

    it('copies values in and out', async () => {
      const value = bytes('original')
      await store.create('copy', value, signal())
      value.fill(0x41)
      const got = await store.get('copy', signal())
      expect(got).toEqual(bytes('original'))
      got.fill(0x42)
      expect(await store.get('copy', signal())).toEqual(bytes('original'))
    })

    it('refuses to overwrite: create on an existing name throws KeyExistsError', async () => {
      await store.create('immutable', bytes('first'), signal())
      await expect(store.create('immutable', bytes('second'), signal())).rejects.toBeInstanceOf(KeyExistsError)
      expect(await store.get('immutable', signal())).toEqual(bytes('first'))
    })

    it('throws KeyNotFoundError for get and delete of a missing key', async () => {
      await expect(store.get('missing', signal())).rejects.toBeInstanceOf(KeyNotFoundError)
      await expect(store.delete('missing', signal())).rejects.toBeInstanceOf(KeyNotFoundError)
    })

    it('deletes a key, after which the name can be created again', async () => {
      await store.create('gone', bytes('v1'), signal())
      await store.delete('gone', signal())
      await expect(store.get('gone', signal())).rejects.toBeInstanceOf(KeyNotFoundError)
      await expect(store.delete('gone', signal())).rejects.toBeInstanceOf(KeyNotFoundError)
      expect((await store.list('', 0, signal())).names).toEqual([])
      await store.create('gone', bytes('v2'), signal())
      expect(await store.get('gone', signal())).toEqual(bytes('v2'))
    })

    describe('list', () => {
      const NAMES = ['b-2', 'a-1', 'a-3', 'b-1', 'a-2', 'ab', 'A-0', '_x']
      beforeEach(async () => {
        for (const n of NAMES) await store.create(n, bytes(n), signal())
      })

      const cases: { prefix: string; limit: number; names: string[]; next: string }[] = [
        { prefix: '', limit: 0, names: ['A-0', '_x', 'a-1', 'a-2', 'a-3', 'ab', 'b-1', 'b-2'], next: '' },
        { prefix: '', limit: -1, names: ['A-0', '_x', 'a-1', 'a-2', 'a-3', 'ab', 'b-1', 'b-2'], next: '' },
        { prefix: '', limit: 8, names: ['A-0', '_x', 'a-1', 'a-2', 'a-3', 'ab', 'b-1', 'b-2'], next: '' },
        { prefix: '', limit: 3, names: ['A-0', '_x', 'a-1'], next: 'a-2' },
        { prefix: 'a', limit: 0, names: ['a-1', 'a-2', 'a-3', 'ab'], next: '' },
        { prefix: 'a-', limit: 2, names: ['a-1', 'a-2'], next: 'a-3' },
        { prefix: 'a-', limit: 3, names: ['a-1', 'a-2', 'a-3'], next: '' },
        { prefix: 'a-3', limit: 1, names: ['a-3'], next: '' },
        { prefix: 'A', limit: 0, names: ['A-0'], next: '' }, // case-sensitive
        { prefix: 'c', limit: 0, names: [], next: '' },
        { prefix: 'b-1x', limit: 5, names: [], next: '' },
      ]
      for (const c of cases) {
        it(`prefix '${c.prefix}' limit ${c.limit}`, async () => {
          expect(await store.list(c.prefix, c.limit, signal())).toEqual({ names: c.names, next: c.next })
        })
      }
    })

    it('lets exactly one of many concurrent creates of the same name win', async () => {
      const values = Array.from({ length: 8 }, (_, i) => bytes(`value-${i}`))
      const results = await Promise.allSettled(values.map((v) => store.create('race', v, signal())))
      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []))
      expect(won).toHaveLength(1)
      for (const r of results) {
        if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(KeyExistsError)
      }
      expect(await store.get('race', signal())).toEqual(values[won[0]!])
      expect((await store.list('', 0, signal())).names).toEqual(['race'])
    })

    it('keeps all of many concurrent creates of distinct names', async () => {
      const names = Array.from({ length: 16 }, (_, i) => `k-${String(i).padStart(2, '0')}`)
      await Promise.all(names.map((n) => store.create(n, bytes(n), signal())))
      expect((await store.list('k-', 0, signal())).names).toEqual(names)
      for (const n of names) expect(await store.get(n, signal())).toEqual(bytes(n))
    })

    it('reports status with a latency', async () => {
      const state = await store.status(signal())
      expect(typeof state.latencyMs).toBe('number')
      expect(state.latencyMs).toBeGreaterThanOrEqual(0)
      expect(Number.isFinite(state.latencyMs)).toBe(true)
    })

    it('does nothing when the signal is already aborted', async () => {
      const aborted = AbortSignal.abort(new Error('client went away'))
      await expect(store.create('never', bytes('x'), aborted)).rejects.toThrow()
      await expect(store.get('never', signal())).rejects.toBeInstanceOf(KeyNotFoundError)
    })

    if (capabilities.replace !== true) {
      it('offers no conditional replace, as declared (rotation deletes and creates)', () => {
        expect(store.replace).toBeUndefined()
      })
    } else it('replaces only the value it was told is there', async () => {
      if (store.replace === undefined) throw new Error('declared with replace, but has none')
      await store.create('swap', bytes('one'), signal())
      expect(await store.replace('swap', bytes('one'), bytes('two'), signal())).toBe(true)
      expect(Buffer.from(await store.get('swap', signal())).toString()).toBe('two')
      // What a rotation racing another one finds: the value it read is gone.
      expect(await store.replace('swap', bytes('one'), bytes('three'), signal())).toBe(false)
      expect(Buffer.from(await store.get('swap', signal())).toString()).toBe('two')
      // What a rotation racing a deletion finds: nothing, and it must not bring the name back.
      await store.delete('swap', signal())
      await expect(store.replace('swap', bytes('two'), bytes('four'), signal())).rejects.toBeInstanceOf(KeyNotFoundError)
      await expect(store.get('swap', signal())).rejects.toBeInstanceOf(KeyNotFoundError)
      // Of many replacing the same value at once, exactly one wins.
      await store.create('swap', bytes('base'), signal())
      const won = await Promise.all(Array.from({ length: 8 }, (_, i) => store.replace!('swap', bytes('base'), bytes(`v${i}`), signal())))
      expect(won.filter(Boolean)).toHaveLength(1)
    })

    it('has a label for logs that carries no key material', async () => {
      await store.create('label', bytes('secret-value-bytes'), signal())
      const label = store.toString()
      expect(label.length).toBeGreaterThan(0)
      expect(label).not.toContain('secret-value-bytes')
    })
  })
}
