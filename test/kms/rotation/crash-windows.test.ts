/**
 * A crash at any step of a rotation must leave the key whole (found by a fault-injection round: on the fs
 * keystore a rotation killed after it deleted the key's name left only the parked copy, unlisted; the next
 * rotation deleted that copy first, and a second crash there lost the key and every object sealed under it).
 *
 * What an attacker (or bad luck) tries first is two crashes in a row: every step of a first rotation, then
 * every step of a second one on what the first left, on a keystore that replaces by delete and create (as
 * Vault does). After each, the key must still read, and a restart's repair must list it again.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { MemoryKeyStore } from '../../../backends/memory.js'
import { prepareKeystore } from '../../../src/kms/config/keystore.js'
import { VersionedKeyStore } from '../../../src/kms/keystore/versioned-store.js'
import { WritesInterceptedStore } from './steps.js'

const signal = () => AbortSignal.timeout(5_000)
const bytes = (s: string) => new TextEncoder().encode(s)
const text = (b: Uint8Array) => new TextDecoder().decode(b)

class Crash extends Error {}

/**
 * A keystore without a conditional replace whose process "dies" after `budget` writes: the write that would
 * exceed it, and every later one, throws Crash, and nothing more is stored. Setting the budget back is the restart.
 */
class CrashingStore extends WritesInterceptedStore {
  budget = Infinity

  #spend(): void {
    if (this.budget <= 0) throw new Crash('crashed')
    this.budget--
  }
  create(name: string, value: Uint8Array, s: AbortSignal): Promise<void> {
    this.#spend()
    return this.inner.create(name, value, s)
  }
  delete(name: string, s: AbortSignal): Promise<void> {
    this.#spend()
    return this.inner.delete(name, s)
  }
}

/** Rotates `name` to `value` with at most `budget` writes before the crash; true when it finished. */
async function rotate(store: CrashingStore, name: string, value: string, budget: number): Promise<boolean> {
  store.budget = budget
  const keys = new VersionedKeyStore(store)
  try {
    const current = await keys.get(name, signal())
    await keys.replaceCurrent(name, current, bytes(value), signal())
    return true
  } catch (err) {
    if (err instanceof Crash) return false
    throw err
  } finally {
    store.budget = Infinity
  }
}

describe('rotations that crash, on a keystore that replaces by delete and create', () => {
  // A rotation makes at most five writes: crashing before each, and not at all.
  const budgets = [0, 1, 2, 3, 4, 5, 6]

  it.each(budgets)('a first rotation crashed after %i writes, then a second one at every step: the key still reads and is listed after a restart', async (first) => {
    for (const second of budgets) {
      const store = new CrashingStore()
      await new VersionedKeyStore(store).create('k', bytes('v1'), signal())
      await rotate(store, 'k', 'v2', first)
      await rotate(store, 'k', 'v3', second)
      const restarted = new VersionedKeyStore(store)
      const read = text(await restarted.get('k', signal()))
      expect(['v1', 'v2', 'v3'], `crashes after ${first} and ${second} writes`).toContain(read)
      await restarted.finishInterruptedRotations(signal())
      expect(text(await store.inner.get('k', signal())), `crashes after ${first} and ${second} writes`).toBe(read)
      expect((await restarted.list('', 0, signal())).names).toEqual(['k'])
      // And the key rotates on from there.
      expect(await rotate(store, 'k', 'v4', Infinity)).toBe(true)
      expect(text(await restarted.get('k', signal()))).toBe('v4')
      expect((await store.inner.list('', 0, signal())).names).toEqual(['k'])
    }
  })

  it('a rotation of a key deleted meanwhile fails with KeyNotFoundError instead of bringing it back', async () => {
    const store = new CrashingStore()
    const keys = new VersionedKeyStore(store)
    await keys.create('gone', bytes('v1'), signal())
    const current = await keys.get('gone', signal())
    await keys.delete('gone', signal())
    await expect(keys.replaceCurrent('gone', current, bytes('v2'), signal())).rejects.toThrow(/does not exist|not found/i)
    expect((await store.inner.list('', 0, signal())).names).toEqual([])
  })

  it('a deletion crashed between its two steps leaves the whole key, which no restart repair turns into another', async () => {
    const store = new CrashingStore()
    const keys = new VersionedKeyStore(store)
    await keys.create('half', bytes('v1'), signal())
    await rotate(store, 'half', 'v2', 3) // parked copy v2 stands, the name is gone
    store.budget = 1 // the deletion removes the parked copy, then crashes
    await expect(keys.delete('half', signal())).rejects.toThrow(Crash)
    store.budget = Infinity
    await keys.finishInterruptedRotations(signal())
    expect((await store.inner.list('', 0, signal())).names).toEqual([])
  })
})

describe('finishInterruptedRotations', () => {
  it('puts back a key left only as its parked copy, and leaves alone a parked copy beside its key', async () => {
    const store = new MemoryKeyStore()
    await store.create('lost-next-', bytes('parked'), signal())
    await store.create('fine', bytes('current'), signal())
    await store.create('fine-next-', bytes('in flight'), signal())
    const keys = new VersionedKeyStore(store)
    expect((await keys.list('', 0, signal())).names).toEqual(['fine'])
    expect(await keys.finishInterruptedRotations(signal())).toEqual(['lost'])
    expect((await keys.list('', 0, signal())).names).toEqual(['fine', 'lost'])
    expect(text(await store.get('lost', signal()))).toBe('parked')
    expect((await store.list('', 0, signal())).names).toEqual(['fine', 'fine-next-', 'lost'])
  })
})

describe('finishInterruptedRotations racing a deletion on another server', () => {
  it('does not bring back a key deleted between its read of the parked copy and its create', async () => {
    /** Another server deletes the key (parked copy first) just before the repair's create reaches the store. */
    class DeletedMeanwhile extends WritesInterceptedStore {
      async create(name: string, value: Uint8Array, s: AbortSignal): Promise<void> {
        if (name === 'lost') await new VersionedKeyStore(this.inner).delete('lost', s).catch(() => undefined)
        return this.inner.create(name, value, s)
      }
      delete(name: string, s: AbortSignal): Promise<void> {
        return this.inner.delete(name, s)
      }
    }
    const store = new DeletedMeanwhile()
    await store.inner.create('lost-next-', bytes('parked'), signal())
    expect(await new VersionedKeyStore(store).finishInterruptedRotations(signal())).toEqual([])
    expect((await store.inner.list('', 0, signal())).names).toEqual([])
  })
})

describe('a server start on an fs keystore', () => {
  it('puts back a key an older version left half-replaced, and nothing else', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'keyhold-half-replaced-'))
    try {
      // What a rotation by delete and create, killed after its delete, left: the parked copy and a version.
      await writeFile(join(dir, 's3key-next-'), 'parked', { mode: 0o600 })
      await writeFile(join(dir, 's3key-v1-'), 'first', { mode: 0o600 })
      await writeFile(join(dir, 'other'), 'whole', { mode: 0o600 })
      expect(await prepareKeystore({ kind: 'fs', path: dir })).toEqual(['s3key'])
      expect((await readdir(dir)).sort()).toEqual(['other', 's3key', 's3key-v1-'])
      expect(await prepareKeystore({ kind: 'fs', path: dir })).toEqual([])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
